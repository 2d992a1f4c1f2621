using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Core.Models;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

/// <summary>
/// The real app whose model serves a version of the test's (<see cref="ServedLabelsModel"/>): every detection finds
/// godot below the review threshold, with the region that decided it, so each detection of a new image opens a loop.
/// </summary>
public sealed class ServedRegionsApp : IAsyncLifetime
{
    public static readonly BoundingBox GodotRegion = new(0.1f, 0.2f, 0.3f, 0.4f);

    public static IReadOnlyList<CustomLabel> Labels { get; } =
    [
        new("godot", 41.5f, new LabelGeometry(GodotRegion)),
        new("keepassxc", 12f, new LabelGeometry(new BoundingBox(0.5f, 0.5f, 0.25f, 0.25f))),
    ];

    public RunningApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await RunningApp.StartAsync(
            new Dictionary<string, string> { ["CustomLabels:BootstrapApiKey"] = RunningApp.BootstrapKey },
            configure: builder => ServedLabelsModel.Register(builder.Services, Labels));
        await ServedLabelsModel.DeployAsync(App.Services.GetRequiredService<SystemStateStore>());
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class RegionsApiTests(ServedRegionsApp fixture) : IClassFixture<ServedRegionsApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly RunningApp _app = fixture.App;

    private IDetectionLog Log => _app.Services.GetRequiredService<IDetectionLog>();

    private IObjectStore Store => _app.Services.GetRequiredService<IObjectStore>();

    [Fact]
    public async Task ARegionSurvivesDetectionTheLogTheLoopAndTheAnswerAndEndsOnTheTrainingCopyAndInTheNextManifest()
    {
        var consumer = _app.Client(await _app.CreateKeyAsync("Consumer"));
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));

        // 1. The detection's answer gives each label its region, in Rekognition's shape.
        using var detected = await consumer.PostAsync("/api/detect", Image(TestImages.Jpeg("godot", 1), "godot.jpg"));
        Assert.Equal(HttpStatusCode.OK, detected.StatusCode);
        var result = (await detected.Content.ReadFromJsonAsync<JsonObject>())!;
        var labels = result["CustomLabels"]!.AsArray();
        Assert.Equal("""{"Left":0.1,"Top":0.2,"Width":0.3,"Height":0.4}""", labels[0]!["Geometry"]!["BoundingBox"]!.ToJsonString());
        Assert.Equal("""{"Left":0.5,"Top":0.5,"Width":0.25,"Height":0.25}""", labels[1]!["Geometry"]!["BoundingBox"]!.ToJsonString());
        var loopName = (string?)result["humanLoopName"];
        Assert.False(string.IsNullOrEmpty(loopName), result.ToJsonString());

        // 2. The detection log and the loop's input keep them.
        var requestId = (string)result["executionId"]!;
        Assert.Equal(ServedRegionsApp.Labels, (await Log.GetAsync(requestId))!.Labels);
        var loop = (await reviewer.GetFromJsonAsync<JsonObject>($"/api/human-loops/{loopName}"))!;
        Assert.Equal(0.4f, (float)loop["input"]!["labels"]![0]!["geometry"]!["BoundingBox"]!["Height"]!);

        // 3. The reviewer answers with a box of their own; the answer keeps it.
        using var answered = await reviewer.PostAsJsonAsync(
            $"/api/human-loops/{loopName}/answer",
            new { label = "godot", boundingBox = new { Left = 0.25, Top = 0.125, Width = 0.5, Height = 0.5 } });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("""{"Left":0.25,"Top":0.125,"Width":0.5,"Height":0.5}""", (await answered.Content.ReadFromJsonAsync<JsonObject>())!["answer"]!["boundingBox"]!.ToJsonString());

        // 4. The review run copies the image into the training set with the box in its metadata...
        var copied = await CopiedKeyAsync(requestId);
        Assert.StartsWith($"images_labeled_by_folder/godot/{loopName}-", copied, StringComparison.Ordinal);
        Assert.Equal("0.25,0.125,0.5,0.5", (await Store.HeadAsync(copied))!.Metadata[BoundingBox.MetadataKey]);

        // 5. ...and the training branch's next manifest carries it as the image's region.
        var writeManifest = _app.Services.GetServices<ITaskHandler>().Single(h => h.Name == "WriteManifest");
        await writeManifest.InvokeAsync(new JsonObject { ["versionName"] = "regions-next" }, new TaskContext("manifest-run", "WriteManifest", 0), CancellationToken.None);
        var manifest = Encoding.UTF8.GetString(await Store.ReadAllBytesAsync(TrainingManifest.KeyFor("regions-next")));
        var line = manifest.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).Single(l => ((string)l["source-ref"]!).EndsWith(copied, StringComparison.Ordinal));
        Assert.Equal("0.25,0.125,0.5,0.5", (string?)line[TrainingManifest.RegionField]);
    }

    [Fact]
    public async Task AnAnswerWithoutABoxCopiesTheImageWithoutARegion()
    {
        using var detected = await _app.Client(RunningApp.BootstrapKey).PostAsync("/api/detect", Image(TestImages.Jpeg("godot", 2), "godot-2.jpg"));
        var result = (await detected.Content.ReadFromJsonAsync<JsonObject>())!;
        var requestId = (string)result["executionId"]!;

        using var answered = await _app.Client(RunningApp.BootstrapKey).PostAsJsonAsync($"/api/human-loops/{(string)result["humanLoopName"]!}/answer", new { label = "godot" });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Null((await answered.Content.ReadFromJsonAsync<JsonObject>())!["answer"]!["boundingBox"]);

        var copied = await CopiedKeyAsync(requestId);
        Assert.False((await Store.HeadAsync(copied))!.Metadata.ContainsKey(BoundingBox.MetadataKey));
    }

    [Theory]
    [InlineData("""{"label": "godot", "boundingBox": {"Left": 0.8, "Top": 0.1, "Width": 0.3, "Height": 0.3}}""", "not inside the image")]
    [InlineData("""{"label": "godot", "boundingBox": {"Left": -0.1, "Top": 0.1, "Width": 0.3, "Height": 0.3}}""", "not inside the image")]
    [InlineData("""{"label": "godot", "boundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0, "Height": 0.3}}""", "not inside the image")]
    [InlineData("""{"label": "godot", "boundingBox": {"Left": 0.1, "Top": 0.1}}""", "not inside the image")]
    [InlineData("""{"noneOfTheAbove": true, "boundingBox": {"Left": 0.1, "Top": 0.1, "Width": 0.3, "Height": 0.3}}""", "not with none of the above")]
    public async Task ABadBoxIsRefusedWith400AndTheLoopStaysOpen(string body, string reason)
    {
        var name = $"bad-box-{Guid.NewGuid():N}"[..24];
        await Store.PutBytesAsync($"images_for_detection/{name}.jpg", TestImages.Jpeg("keepassxc", 3));
        await _app.Services.GetRequiredService<IHumanReview>().StartHumanLoopAsync(new StartHumanLoopRequest(
            name,
            new HumanLoopInput($"images_for_detection/{name}.jpg", ServedRegionsApp.Labels, HumanLoopReason.LowConfidence, null, ["godot", "keepassxc"])));

        using var response = await _app.Client(RunningApp.BootstrapKey).PostAsync(
            $"/api/human-loops/{name}/answer", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HumanLoopStatus.InProgress, (await _app.Services.GetRequiredService<IHumanReview>().DescribeHumanLoopAsync(name))!.Status);
    }

    /// <summary>Waits for the review run of a detection to record where it copied the image.</summary>
    private async Task<string> CopiedKeyAsync(string requestId)
    {
        var events = _app.Services.GetRequiredService<PipelineEvents>();
        using var changed = new SemaphoreSlim(0);
        using var subscription = events.Subscribe(_ => changed.Release());
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            if ((await Log.GetAsync(requestId))?.CopiedKey is { } key)
            {
                return key;
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The review of {requestId} copied nothing into the training set.");
            }
        }
    }

    private static MultipartFormDataContent Image(byte[] bytes, string fileName)
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return new MultipartFormDataContent { { part, "image", fileName } };
    }
}
