using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;

namespace CustomLabels.Tests.Core.Models;

public sealed class EmbeddedModelDetectionTests(DemoModelFixture fixture) : IClassFixture<DemoModelFixture>
{
    private ModelTestEnvironment Environment => fixture.Environment;

    private Task<DetectCustomLabelsResult> DetectAsync(byte[] image, float? minConfidence = null, int? maxResults = null) =>
        Environment.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(DemoModelFixture.Version, image, minConfidence, maxResults));

    [Fact]
    public async Task TrainedVersionRunsAndNamesTheLogoOfATrainingShot()
    {
        Assert.Equal(ProjectVersionStatus.TrainingCompleted, fixture.Trained.Status);
        var running = (await Environment.Model.DescribeProjectVersionsAsync([DemoModelFixture.Version]))[0];
        Assert.Equal(ProjectVersionStatus.Running, running.Status);
        Assert.Equal(1, running.MinInferenceUnits);

        var result = await DetectAsync(TestImages.Jpeg("keepassxc", 2));

        Assert.Equal(["keepassxc", "godot"], result.CustomLabels.Select(l => l.Name));
        Assert.True(result.CustomLabels[0].Confidence > result.CustomLabels[1].Confidence);
        Assert.All(result.CustomLabels, l => Assert.InRange(l.Confidence, 0, 100));
    }

    [Fact]
    public async Task DetectionHonoursMinConfidenceAndMaxResults()
    {
        var image = TestImages.Jpeg("godot", 3);
        var all = await DetectAsync(image);
        var one = await DetectAsync(image, maxResults: 1);
        var between = (all.CustomLabels[0].Confidence + all.CustomLabels[1].Confidence) / 2;
        var above = await DetectAsync(image, minConfidence: between);

        Assert.Equal(2, all.CustomLabels.Count);
        Assert.True(all.CustomLabels[0].Confidence > all.CustomLabels[1].Confidence + 0.1f);
        Assert.Equal(["godot"], one.CustomLabels.Select(l => l.Name));
        Assert.Equal(["godot"], above.CustomLabels.Select(l => l.Name));
    }

    [Fact]
    public async Task DetectionsBeyondCapacityWaitInTheQueueAndAllSucceed()
    {
        var pool = Environment.Model.PoolOf(DemoModelFixture.Version)!;
        Assert.Equal(1, pool.Units);
        var image = TestImages.Jpeg("godot", 1);

        var detections = Enumerable.Range(0, 6).Select(_ => DetectAsync(image)).ToList();
        var queued = pool.Queued;
        var results = await Task.WhenAll(detections);

        // One unit serves one detection at a time; at least four of the others were waiting when the sixth arrived.
        Assert.InRange(queued, 4, 6);
        Assert.All(results, r => Assert.Equal(results[0], r, (a, b) => a.CustomLabels.SequenceEqual(b.CustomLabels)));
        Assert.Equal(0, pool.Queued);
    }

    [Fact]
    public async Task EmptyImageIsRefused()
    {
        var error = await Assert.ThrowsAsync<InvalidImageException>(() => DetectAsync([]));
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedImageIsRefused()
    {
        var error = await Assert.ThrowsAsync<InvalidImageException>(() => DetectAsync(TestImages.Truncated()));
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FileThatIsNotAnImageIsRefused()
    {
        var error = await Assert.ThrowsAsync<InvalidImageException>(() => DetectAsync(TestImages.NotAnImage()));
        Assert.Contains("not an image", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PngDeclaringFiftyThousandPixelsSquareIsRefusedBeforeDecoding()
    {
        var error = await Assert.ThrowsAsync<ImageTooLargeException>(() => DetectAsync(TestImages.PngBomb()));
        Assert.Contains("50,000 x 50,000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DetectionWithAVersionThatIsNotRunningFails()
    {
        var error = await Assert.ThrowsAsync<ModelNotRunningException>(() =>
            Environment.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("no-such-version", TestImages.Jpeg())));
        Assert.Contains("no-such-version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainingReportsProgressAndWritesAnEvaluationSummary()
    {
        Assert.True(fixture.ProgressSeen.Count >= 5, $"only {fixture.ProgressSeen.Count} progress updates");
        Assert.Equal(fixture.ProgressSeen.Order(), fixture.ProgressSeen);
        Assert.Equal(1.0, fixture.Trained.TrainingProgress);

        var summary = await EvaluationSummary.ReadAsync(Environment.Store, fixture.Trained.EvaluationSummaryKey!);
        Assert.Equal(["godot", "keepassxc"], summary.EvaluationDetails.Labels);
        Assert.Equal(fixture.Trained.ProjectVersionArn, summary.EvaluationDetails.ProjectVersionArn);
        Assert.Equal(fixture.Trained.TrainingImageCount, summary.EvaluationDetails.NumberOfTrainingImages);
        Assert.Equal(10, summary.EvaluationDetails.NumberOfTrainingImages + summary.EvaluationDetails.NumberOfTestingImages);
        Assert.All(summary.LabelEvaluationResults, l => Assert.True(l.NumberOfTestingImages >= 1));
        Assert.Equal(summary.EvaluationDetails.NumberOfTestingImages, summary.AggregatedEvaluationResults.ConfusionMatrix.Sum(c => c.Value));
        Assert.Equal(fixture.Trained.F1Score, summary.AggregatedEvaluationResults.F1Score);
        Assert.StartsWith(BucketLayout.Evaluation + DemoModelFixture.Version + "/", fixture.Trained.EvaluationSummaryKey, StringComparison.Ordinal);

        // The version's artefacts are self-contained on disk.
        var folder = Path.Combine(Environment.Model.ModelsDirectory, DemoModelFixture.Version);
        Assert.True(File.Exists(Path.Combine(folder, "head.bin")));
        Assert.True(File.Exists(Path.Combine(folder, "version.json")));
        Assert.True(File.Exists(Path.Combine(folder, "training.manifest")));
        Assert.True(File.Exists(Path.Combine(folder, Path.GetFileName(fixture.Trained.EvaluationSummaryKey!))));
    }

    [Fact]
    public async Task TheAutomaticTestSplitFollowsTheSameRuleAsTheWorkflowsTestManifests()
    {
        // The version was trained without a test manifest: the model split one off and kept it beside the version.
        var training = await TrainingManifest.ReadAsync(Environment.Store, TrainingManifest.KeyFor(DemoModelFixture.Version));
        var (_, expected) = TestSplit.Split(training, Environment.Options.TestFraction);

        var kept = Path.Combine(Environment.Model.ModelsDirectory, DemoModelFixture.Version, "test.manifest");
        await using var file = File.OpenRead(kept);
        var split = new List<ManifestEntry>();
        await foreach (var entry in System.Text.Json.JsonSerializer.DeserializeAsyncEnumerable<ManifestEntry>(
            file, topLevelValues: true, System.Text.Json.JsonSerializerOptions.Web))
        {
            split.Add(entry!);
        }

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), split.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(fixture.Trained.TestImageCount, split.Count);
    }
}
