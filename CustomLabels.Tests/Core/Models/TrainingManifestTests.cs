using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Tests.Core.Models;

public sealed class TrainingManifestTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FileObjectStore _store;

    public TrainingManifestTests() => _store = new FileObjectStore(_directory.Path, NullLogger<FileObjectStore>.Instance);

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ManifestListsEveryTrainingImageAsGroundTruthLinesAndReadsBack()
    {
        var godot = await _store.PutBytesAsync("images_labeled_by_folder/godot/a.jpg", Encoding.UTF8.GetBytes("first"));
        await _store.PutBytesAsync("images_labeled_by_folder/godot/b.jpg", Encoding.UTF8.GetBytes("second"));
        var copy = await _store.PutBytesAsync("images_labeled_by_folder/keepassxc/c.jpg", Encoding.UTF8.GetBytes("first"));
        await _store.PutBytesAsync("images_labeled_by_folder/loose.jpg", Encoding.UTF8.GetBytes("no label folder"));
        await _store.PutBytesAsync("images_labeled_by_folder/keepassxc/nested/d.jpg", Encoding.UTF8.GetBytes("too deep"));
        var created = new DateTimeOffset(2026, 5, 4, 3, 2, 1, TimeSpan.Zero);

        var written = await TrainingManifest.WriteAsync(_store, "v7", "my-bucket", created);
        var read = await TrainingManifest.ReadAsync(_store, "manifests/v7.manifest");
        var etags = await TrainingManifest.ReadETagsAsync(_store, TrainingManifest.KeyFor("v7"));

        Assert.Equal(written, read);
        Assert.Equal(
            [
                new ManifestEntry("images_labeled_by_folder/godot/a.jpg", "godot", 0, godot.ETag),
                new ManifestEntry("images_labeled_by_folder/godot/b.jpg", "godot", 0, read[1].ETag),
                new ManifestEntry("images_labeled_by_folder/keepassxc/c.jpg", "keepassxc", 1, copy.ETag),
            ],
            read);
        Assert.Equal(2, etags[godot.ETag]);
        Assert.Equal(2, etags.Count);

        var text = Encoding.UTF8.GetString(await _store.ReadAllBytesAsync("manifests/v7.manifest"));
        var line = JsonNode.Parse(text.Split('\n')[2])!.AsObject();
        Assert.Equal("s3://my-bucket/images_labeled_by_folder/keepassxc/c.jpg", (string?)line["source-ref"]);
        Assert.Equal(1, (int?)line["customlabels"]);
        var metadata = line["customlabels-metadata"]!;
        Assert.Equal("keepassxc", (string?)metadata["class-name"]);
        Assert.Equal("groundtruth/image-classification", (string?)metadata["type"]);
        Assert.Equal("yes", (string?)metadata["human-annotated"]);
        Assert.Equal(1, (double?)metadata["confidence"]);
        Assert.Equal("2026-05-04T03:02:01.000000", (string?)metadata["creation-date"]);
        Assert.False(string.IsNullOrEmpty((string?)metadata["job-name"]));
        Assert.Equal(copy.ETag, (string?)line["customlabels-etag"]);
    }

    [Fact]
    public void ManifestWrittenByRekognitionToolsWithAnotherAttributeNameReads()
    {
        const string line = """{"source-ref":"s3://b/images_labeled_by_folder/x/1.jpg","x-label":3,"x-label-metadata":{"class-name":"x","confidence":1,"type":"groundtruth/image-classification"}}""";

        var entries = TrainingManifest.Parse(line + "\n\n");

        Assert.Equal([new ManifestEntry("images_labeled_by_folder/x/1.jpg", "x", 3, null)], entries);
    }

    [Fact]
    public void ManifestLineWithAPlainEtagFieldKeepsItsContentHash()
    {
        const string line = """{"source-ref":"s3://b/images_labeled_by_folder/x/1.jpg","etag":"0123abcd","x":0,"x-metadata":{"class-name":"x"}}""";

        Assert.Equal("0123abcd", TrainingManifest.Parse(line)[0].ETag);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"x":0,"x-metadata":{"class-name":"a"}}""")]
    [InlineData("""{"source-ref":"s3://b/k.jpg"}""")]
    [InlineData("""{"source-ref":"/etc/passwd","x":0,"x-metadata":{"class-name":"a"}}""")]
    [InlineData("""{"source-ref":"s3://b/../../etc/passwd","x":0,"x-metadata":{"class-name":"a"}}""")]
    public void ManifestLineThatIsNotAGroundTruthEntryIsRefusedWithItsLineNumber(string bad)
    {
        var good = """{"source-ref":"s3://b/images_labeled_by_folder/a/1.jpg","x":0,"x-metadata":{"class-name":"a"}}""";

        var error = Assert.Throws<InvalidDataException>(() => TrainingManifest.Parse(good + "\n" + bad));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluationSummaryRoundTripsInRekognitionsShape()
    {
        var end = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var summary = EvaluationSummary.FromPredictions(
            ["a", "b"],
            [("a", "a", 90), ("a", "b", 80), ("b", "b", 75), ("b", "b", 20)],
            50,
            "arn:v1",
            12,
            end);

        await summary.WriteAsync(_store, EvaluationSummary.KeyFor("v1"));
        var read = await EvaluationSummary.ReadAsync(_store, "evaluation/v1/EvaluationResultSummary-v1.json");
        var json = JsonNode.Parse(await _store.ReadAllBytesAsync(EvaluationSummary.KeyFor("v1")))!;

        Assert.Equal(summary.AggregatedEvaluationResults.F1Score, read.AggregatedEvaluationResults.F1Score);
        Assert.Equal(summary.AggregatedEvaluationResults.ConfusionMatrix, read.AggregatedEvaluationResults.ConfusionMatrix);
        Assert.Equal(summary.LabelEvaluationResults, read.LabelEvaluationResults);
        Assert.Equal(end, read.EvaluationDetails.EvaluationEndTimestamp);
        Assert.Equal(4, read.EvaluationDetails.NumberOfTestingImages);
        Assert.Equal(12, read.EvaluationDetails.NumberOfTrainingImages);

        // a: 1 right of 2, nothing wrongly predicted as a (its threshold, 90, is its one prediction). b: its threshold
        // comes down to 20, where both b are found and one a is wrongly taken for b (F1 0.8, better than 0.5 at 75).
        var a = read.LabelEvaluationResults.Single(l => l.Label == "a").Metrics;
        var b = read.LabelEvaluationResults.Single(l => l.Label == "b").Metrics;
        Assert.Equal((1.0, 0.5, 0.9), (a.Precision, a.Recall, a.Threshold));
        Assert.Equal((0.6667, 1.0, 0.8), (b.Precision, b.Recall, b.F1Score));
        Assert.Equal(0.2, b.Threshold);
        Assert.Contains(read.AggregatedEvaluationResults.ConfusionMatrix, c => c is { GroundTruthLabel: "a", PredictedLabel: "b", Value: 1 });
        Assert.DoesNotContain(read.AggregatedEvaluationResults.ConfusionMatrix, c => c.PredictedLabel == "none");
        Assert.NotNull(json["AggregatedEvaluationResults"]?["ConfusionMatrix"]?[0]?["GroundTruthLabel"]);
        Assert.NotNull(json["EvaluationDetails"]?["ProjectVersionArn"]);
        Assert.NotNull(json["LabelEvaluationResults"]?[0]?["Metrics"]?["F1Score"]);
    }
}
