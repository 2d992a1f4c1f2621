using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded;
using CustomLabels.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Bench.Api;

/// <summary>
/// Detections per second through the whole path a consumer takes (HTTP API, object store, workflow runner, model,
/// detection log) against the model alone on the same images in the same run. The app is the real one on a
/// loopback port; its model is trained on the demo set through the API.
/// </summary>
internal sealed class ApiDetectionBenchmark : IBenchmark
{
    private const string Key = "bench-operator-key-0123456789abcdef";

    public string Name => "api";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var data = Path.Combine(context.Scratch, "api");
        await using var app = CustomLabelsWebApp.Create(
            [
                "--urls=http://127.0.0.1:0",
                $"--CustomLabels:DataDirectory={data}",
                $"--CustomLabels:BootstrapApiKey={Key}",
                "--CustomLabels:Workflow:Steps:TrainingPollSeconds=1",
                "--CustomLabels:Workflow:Steps:StartPollSeconds=1",
            ],
            builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync(cancellationToken);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        client.DefaultRequestHeaders.Add("X-Api-Key", Key);

        var demo = Path.Combine(context.Datasets, "logos-dev", "demo");
        await TrainAsync(app.Services, client, Path.Combine(demo, "train"), cancellationToken);

        var images = Directory.GetFiles(Path.Combine(demo, "inference"), "*.jpg").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        var rounds = context.Quick ? 2 : 6;
        var requests = Enumerable.Range(0, rounds).SelectMany(_ => images).ToList();

        var model = app.Services.GetRequiredService<ICustomLabelsModel>();
        var version = (await model.DescribeProjectVersionsAsync(null, cancellationToken)).Single(v => v.Status == ProjectVersionStatus.Running).VersionName;

        // Warm both paths (JIT, connection pools, the inference session), then time each on the same images, one at a time.
        await DetectThroughApiAsync(client, images[0], cancellationToken);
        await model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(version, images[0]), cancellationToken);

        var alone = Stopwatch.StartNew();
        foreach (var image in requests)
        {
            await model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(version, image), cancellationToken);
        }

        alone.Stop();
        var throughApi = Stopwatch.StartNew();
        foreach (var image in requests)
        {
            await DetectThroughApiAsync(client, image, cancellationToken);
        }

        throughApi.Stop();

        // The same images stored and run through the workflow in process, without HTTP, to tell the two costs apart.
        var store = app.Services.GetRequiredService<IObjectStore>();
        var workflow = app.Services.GetRequiredService<IWorkflowService>();
        var bucket = app.Services.GetRequiredService<IOptions<WorkflowOptions>>().Value.BucketName;
        var throughWorkflow = Stopwatch.StartNew();
        foreach (var image in requests)
        {
            var stored = await store.PutBytesAsync($"{BucketLayout.DetectionImages}{Guid.NewGuid():N}-bench.jpg", image, cancellationToken: cancellationToken);
            var execution = await workflow.StartExecutionAsync(
                WorkflowEvents.ObjectCreated(bucket, stored).ToJsonString(), ExecutionNames.ForObject(stored.Key, stored.ETag), cancellationToken);
            await workflow.WaitForCompletionAsync(execution.ExecutionId, TimeSpan.FromMinutes(1), cancellationToken);
        }

        throughWorkflow.Stop();
        await app.StopAsync(cancellationToken);

        var ratio = alone.Elapsed.TotalSeconds / throughApi.Elapsed.TotalSeconds;
        var overheadMs = (throughApi.Elapsed.TotalMilliseconds - alone.Elapsed.TotalMilliseconds) / requests.Count;
        return
        [
            new Figure("detections/s through the API and the workflow / detections/s of the model alone", ratio, "x model alone", ">= 0.8", ratio >= 0.8),
            new Figure("added time per detection by API, store, runner and log, in model detections", overheadMs / (alone.Elapsed.TotalMilliseconds / requests.Count), "x one detection", "info", true),
            new Figure("detections/s through the workflow in process (no HTTP) / model alone", alone.Elapsed.TotalSeconds / throughWorkflow.Elapsed.TotalSeconds, "x model alone", "info", true),
        ];
    }

    /// <summary>Uploads a folder of label folders as a zip, trains on demand through the API and waits until the run has deployed.</summary>
    internal static async Task TrainAsync(IServiceProvider services, HttpClient client, string trainFolder, CancellationToken cancellationToken)
    {
        using (var bar = await client.PutAsJsonAsync("/api/parameters/Minimum-F1-Score", new { value = "0" }, cancellationToken))
        {
            bar.EnsureSuccessStatusCode();
        }

        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var file in Directory.EnumerateFiles(trainFolder, "*.jpg", SearchOption.AllDirectories))
            {
                archive.CreateEntryFromFile(file, Path.GetRelativePath(trainFolder, file).Replace('\\', '/'));
            }
        }

        var zip = new ByteArrayContent(buffer.ToArray());
        zip.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        using (var upload = await client.PostAsync("/api/training-images", new MultipartFormDataContent { { zip, "files", "demo.zip" } }, cancellationToken))
        {
            upload.EnsureSuccessStatusCode();
        }

        using var started = await client.PostAsync("/api/training", null, cancellationToken);
        started.EnsureSuccessStatusCode();
        var id = (string)(await started.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["executionId"]!;
        var run = await services.GetRequiredService<IWorkflowService>().WaitForCompletionAsync(id, TimeSpan.FromMinutes(10), cancellationToken);
        if (run.Summary.Status != ExecutionStatus.Succeeded)
        {
            throw new InvalidOperationException($"Training through the API ended {run.Summary.Status}: {run.Error} {run.Cause}");
        }
    }

    /// <summary>One <c>POST /api/detect</c>, which answers once the detection run has finished.</summary>
    internal static async Task DetectThroughApiAsync(HttpClient client, byte[] image, CancellationToken cancellationToken)
    {
        var part = new ByteArrayContent(image);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await client.PostAsync("/api/detect", new MultipartFormDataContent { { part, "image", "bench.jpg" } }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
