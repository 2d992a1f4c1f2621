using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Core.Models;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

/// <summary>
/// An app whose model was trained and deployed through the API: the demo set uploaded as a zip, the F1 bar set,
/// and training started on demand; the fixture waits for that run to end.
/// </summary>
public sealed class TrainedApp : IAsyncLifetime
{
    public RunningApp App { get; private set; } = null!;

    public HttpClient Operator { get; private set; } = null!;

    public string TrainingExecutionId { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await RunningApp.StartAsync(new Dictionary<string, string>
        {
            ["CustomLabels:BootstrapApiKey"] = RunningApp.BootstrapKey,
            ["CustomLabels:Workflow:Steps:TrainingPollSeconds"] = "1",
            ["CustomLabels:Workflow:Steps:StartPollSeconds"] = "1",
        });
        Operator = App.Client(RunningApp.BootstrapKey);

        using (var bar = await Operator.PutAsJsonAsync("/api/parameters/Minimum-F1-Score", new { value = "0" }))
        {
            bar.EnsureSuccessStatusCode();
        }

        using (var upload = await Operator.PostAsync("/api/training-images", DemoSetZip()))
        {
            upload.EnsureSuccessStatusCode();
        }

        using var started = await Operator.PostAsync("/api/training", null);
        started.EnsureSuccessStatusCode();
        TrainingExecutionId = (string)(await started.Content.ReadFromJsonAsync<JsonObject>())!["executionId"]!;
        var run = await App.Services.GetRequiredService<IWorkflowService>().WaitForCompletionAsync(TrainingExecutionId, TimeSpan.FromMinutes(5));
        Assert.True(run.Summary.Status == ExecutionStatus.Succeeded, $"Training ended {run.Summary.Status}: {run.Error} {run.Cause}");
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    public static byte[] DemoImage(string label, int index) =>
        File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "demo", "train", label, $"{label}_{index:D2}.jpg"));

    internal static MultipartFormDataContent DemoSetZip()
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var root = Path.Combine(ModelTestEnvironment.LogosDev, "demo", "train");
            foreach (var file in Directory.EnumerateFiles(root, "*.jpg", SearchOption.AllDirectories))
            {
                archive.CreateEntryFromFile(file, $"demo/{Path.GetRelativePath(root, file).Replace('\\', '/')}");
            }
        }

        var part = new ByteArrayContent(buffer.ToArray());
        part.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return new MultipartFormDataContent { { part, "files", "demo.zip" } };
    }
}

public sealed class DetectionApiTests(TrainedApp fixture) : IClassFixture<TrainedApp>
{
    private readonly RunningApp _app = fixture.App;

    [Fact]
    public async Task AKnownImageIsDetectedThroughItsOneWorkflowRun()
    {
        var consumer = _app.Client(await _app.CreateKeyAsync("Consumer", "camera"));

        using var response = await consumer.PostAsync("/api/detect", Image(TrainedApp.DemoImage("godot", 2), "godot shot.jpg"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonObject>();
        var labels = result!["CustomLabels"]!.AsArray();
        Assert.Equal("godot", (string)labels[0]!["Name"]!);
        Assert.InRange((float)labels[0]!["Confidence"]!, 0f, 100f);
        var key = (string)result["objectKey"]!;
        Assert.StartsWith("images_for_detection/", key, StringComparison.Ordinal);
        Assert.EndsWith("-godot_shot.jpg", key, StringComparison.Ordinal);

        // The run is the object's one execution, whoever started it: the API or the bucket's event source.
        var info = await _app.Services.GetRequiredService<IObjectStore>().HeadAsync(key);
        Assert.Equal("api-key:camera", info!.Metadata["requested-by"]);
        var executionId = (string)result["executionId"]!;
        Assert.Equal(ExecutionNames.ForObject(key, info.ETag), executionId);
        Assert.Equal(1, await CountExecutionsForAsync(key));
    }

    [Fact]
    public async Task MaxResultsAndMinConfidenceAreHonoured()
    {
        using var response = await fixture.Operator.PostAsync("/api/detect", Image(TrainedApp.DemoImage("keepassxc", 1), "k.jpg", ("maxResults", "1"), ("minConfidence", "0")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var labels = (await response.Content.ReadFromJsonAsync<JsonObject>())!["CustomLabels"]!.AsArray();
        Assert.Single(labels);
        Assert.Equal("keepassxc", (string)labels[0]!["Name"]!);

        using var high = await fixture.Operator.PostAsync("/api/detect", Image(TrainedApp.DemoImage("keepassxc", 1), "k.jpg", ("minConfidence", "100.0")));
        Assert.Equal(HttpStatusCode.OK, high.StatusCode);
        Assert.All((await high.Content.ReadFromJsonAsync<JsonObject>())!["CustomLabels"]!.AsArray(), l => Assert.True((float)l!["Confidence"]! >= 100f));
    }

    [Fact]
    public async Task AnImageOfABrandTheModelNeverSawReturnsItsHumanLoop()
    {
        // img_07 of the demo inference set shows pidgin, which the demo set does not teach.
        var unknown = File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "demo", "inference", "img_07.jpg"));
        Assert.Contains("inference,inference/img_07.jpg,unknown:pidgin", await File.ReadAllLinesAsync(Path.Combine(ModelTestEnvironment.LogosDev, "demo", "labels.csv")));

        using var response = await fixture.Operator.PostAsync("/api/detect", Image(unknown, "unknown.jpg"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonObject>();
        var loop = (string?)result!["humanLoopName"];
        Assert.False(string.IsNullOrEmpty(loop), result.ToJsonString());
        var described = await fixture.Operator.GetFromJsonAsync<JsonObject>($"/api/human-loops/{loop}");
        Assert.Equal("InProgress", (string)described!["status"]!);
        Assert.Equal((string)result["objectKey"]!, (string)described["input"]!["imageKey"]!);
    }

    [Theory]
    [InlineData("minConfidence", "101")]
    [InlineData("minConfidence", "lots")]
    [InlineData("maxResults", "0")]
    [InlineData("maxResults", "1.5")]
    public async Task BadOptionsAreRefusedWith400AndNothingIsStored(string field, string value)
    {
        var before = await CountDetectionImagesAsync();

        using var response = await fixture.Operator.PostAsync("/api/detect", Image(TrainedApp.DemoImage("godot", 1), "g.jpg", (field, value)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
        Assert.Equal(before, await CountDetectionImagesAsync());
    }

    [Fact]
    public async Task ANonImageIs415AndADecompressionBombIs413AndNeitherIsStored()
    {
        var before = await CountDetectionImagesAsync();

        using var text = await fixture.Operator.PostAsync("/api/detect", Image(Encoding.UTF8.GetBytes("not a picture"), "notes.jpg"));
        using var bomb = await fixture.Operator.PostAsync("/api/detect", Image(TestImages.PngBomb(), "bomb.png"));
        using var none = await fixture.Operator.PostAsync("/api/detect", new MultipartFormDataContent { { new StringContent("5"), "maxResults" } });

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bomb.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Equal(before, await CountDetectionImagesAsync());
    }

    [Fact]
    public async Task TheDeployedVersionIsListedWithItsPerLabelMetrics()
    {
        var listing = await fixture.Operator.GetFromJsonAsync<JsonObject>("/api/project-versions");

        var running = (string)listing!["runningVersion"]!;
        var version = listing["versions"]!.AsArray().Single(v => (string)v!["version"]!["versionName"]! == running)!;
        Assert.True((bool)version["running"]!);
        Assert.Equal("RUNNING", (string)version["version"]!["status"]!);
        Assert.Equal(["godot", "keepassxc"], version["labels"]!.AsArray().Select(l => (string)l!["label"]!).Order());
        Assert.All(version["labels"]!.AsArray(), l => Assert.InRange((double)l!["metrics"]!["f1Score"]!, 0, 1));
        Assert.All(version["labels"]!.AsArray(), l => Assert.InRange((double)l!["metrics"]!["threshold"]!, 0, 1));
        Assert.InRange((double)version["version"]!["f1Score"]!, 0, 1);

        // The first version had no running version to be compared with: the gate says so, and that it deployed.
        var comparison = version["comparison"]!;
        Assert.True((bool)comparison["deploy"]!);
        Assert.Null(comparison["runningVersion"]);
        Assert.Contains("no version is running to compare it with", (string)comparison["reason"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterTrainingNoImageOfTheSetIsUntrained()
    {
        var summary = await fixture.Operator.GetFromJsonAsync<JsonObject>("/api/training-images");

        Assert.Equal((10, 0), ((int)summary!["total"]!, (int)summary["untrained"]!));
        Assert.Equal(["godot", "keepassxc"], summary["labels"]!.AsArray().Select(l => (string)l!["label"]!));
    }

    [Fact]
    public async Task TheTrainingRunsHistoryEndsInSuccess()
    {
        var history = await fixture.Operator.GetFromJsonAsync<JsonArray>($"/api/executions/{fixture.TrainingExecutionId}/history");

        var types = history!.Select(e => (string)e!["type"]!).ToList();
        Assert.Equal("ExecutionStarted", types[0]);
        Assert.Equal("ExecutionSucceeded", types[^1]);
        Assert.Contains("TaskSucceeded", types);
    }

    private async Task<int> CountExecutionsForAsync(string key)
    {
        var page = await fixture.Operator.GetFromJsonAsync<JsonObject>("/api/executions?branch=detection&maxResults=1000");
        var count = 0;
        foreach (var execution in page!["executions"]!.AsArray())
        {
            var detail = await fixture.Operator.GetFromJsonAsync<JsonObject>($"/api/executions/{(string)execution!["executionId"]!}");
            count += (string?)detail!["input"]!["detail"]!["object"]!["key"] == key ? 1 : 0;
        }

        return count;
    }

    private async Task<int> CountDetectionImagesAsync()
    {
        var count = 0;
        await foreach (var _ in _app.Services.GetRequiredService<IObjectStore>().ListAllAsync(BucketLayout.DetectionImages))
        {
            count++;
        }

        return count;
    }

    private static MultipartFormDataContent Image(byte[] bytes, string fileName, params (string Name, string Value)[] fields)
    {
        var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        content.Add(part, "image", fileName);
        foreach (var (name, value) in fields)
        {
            content.Add(new StringContent(value), name);
        }

        return content;
    }
}

public sealed class DetectionWithoutAModelTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    [Fact]
    public async Task WithoutARunningModelDetectionIs503AndNothingIsStored()
    {
        using var response = await fixture.App.Client(RunningApp.BootstrapKey).PostAsync("/api/detect", new MultipartFormDataContent
        {
            { new ByteArrayContent(TrainedApp.DemoImage("godot", 1)), "image", "g.jpg" },
        });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var stored = await fixture.App.Services.GetRequiredService<IObjectStore>().ListAsync(BucketLayout.DetectionImages);
        Assert.Empty(stored.Objects);
    }
}
