using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Bench;

/// <summary>
/// Detections per second through the whole workflow path (POST /api/detect over loopback HTTP, the object store, the
/// detection execution in the runner, the model, the detection log and the review step) against the model alone
/// (DetectCustomLabelsAsync on the same images, as many in flight), in the same app. The app is the real web host with
/// the embedded backend, trained on logos-dev's demo set; the images are the demo's inference photos.
/// </summary>
internal sealed class PipelineBenchmark : IBenchmark
{
    private const string ApiKey = "bench-pipeline-bootstrap-key-0123456789";
    private const int InFlight = 4;

    public string Name => "pipeline";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var data = Path.Combine(context.Scratch, "pipeline");
        Directory.CreateDirectory(data);
        var demo = Path.Combine(context.Datasets, "logos-dev", "demo");
        var app = CustomLabelsWebApp.Create(
        [
            "--urls=http://127.0.0.1:0",
            $"--CustomLabels:DataDirectory={data}",
            $"--CustomLabels:BootstrapApiKey={ApiKey}",
            "--CustomLabels:Workflow:Steps:TrainingPollSeconds=1",
            "--CustomLabels:Workflow:Steps:StartPollSeconds=1",
            "--Logging:LogLevel:Default=Warning",
        ], builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync(cancellationToken);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            var version = await TrainAsync(client, demo, cancellationToken);

            var images = Directory.EnumerateFiles(Path.Combine(demo, "inference"), "*.jpg").Order(StringComparer.Ordinal)
                .Select(path => (Name: Path.GetFileName(path), Bytes: File.ReadAllBytes(path))).ToList();
            var count = context.Quick ? 40 : 120;
            var work = Enumerable.Range(0, count).Select(i => images[i % images.Count]).ToList();
            var model = app.Services.GetRequiredService<ICustomLabelsModel>();

            // Warm both paths, then alternate them so that neither gets the quieter half of the run.
            await RateAsync(work.Take(InFlight * 2).ToList(), i => ThroughApiAsync(client, i, cancellationToken));
            await RateAsync(work.Take(InFlight * 2).ToList(), i => model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(version, i.Bytes), cancellationToken));
            double modelRate = 0, pipelineRate = 0;
            for (var round = 0; round < 2; round++)
            {
                modelRate += await RateAsync(work, i => model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(version, i.Bytes), cancellationToken));
                pipelineRate += await RateAsync(work, i => ThroughApiAsync(client, i, cancellationToken));
            }

            modelRate /= 2;
            pipelineRate /= 2;
            var ratio = pipelineRate / modelRate;
            return
            [
                new($"detections/s through API, store, runner, model and log / model alone ({InFlight} in flight)", ratio, "x", ">= 0.8", ratio >= 0.8),
                new("detections/s through the whole workflow path", pipelineRate, "1/s", "report", true),
                new("detections/s of the model alone (the baseline)", modelRate, "1/s", "report", true),
            ];
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    /// <summary>Uploads the demo training set, trains on demand and waits until the version runs; returns its name.</summary>
    private static async Task<string> TrainAsync(HttpClient client, string demo, CancellationToken cancellationToken)
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.Combine(demo, "train")))
        {
            using var form = new MultipartFormDataContent();
            foreach (var file in Directory.EnumerateFiles(folder, "*.jpg"))
            {
                var content = new ByteArrayContent(await File.ReadAllBytesAsync(file, cancellationToken));
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(content, "files", Path.GetFileName(file));
            }

            using var uploaded = await client.PostAsync(new Uri($"/api/training-images/{Path.GetFileName(folder)}", UriKind.Relative), form, cancellationToken);
            uploaded.EnsureSuccessStatusCode();
        }

        using var started = await client.PostAsync(new Uri("/api/training", UriKind.Relative), null, cancellationToken);
        started.EnsureSuccessStatusCode();
        var run = (string)(await started.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!["executionId"]!;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(10));

        // Deployed once the training run has succeeded: the system state then points at the new version.
        while (true)
        {
            var execution = await client.GetFromJsonAsync<JsonObject>(new Uri($"/api/executions/{run}", UriKind.Relative), limit.Token);
            switch ((string?)execution!["summary"]!["status"])
            {
                case "RUNNING":
                    await Task.Delay(200, limit.Token);
                    continue;
                case "SUCCEEDED":
                    var versions = await client.GetFromJsonAsync<JsonObject>(new Uri("/api/project-versions", UriKind.Relative), limit.Token);
                    return (string?)versions!["runningVersion"] ?? throw new InvalidOperationException("The training run deployed no version.");
                default:
                    throw new InvalidOperationException($"The training run ended: {execution}");
            }
        }
    }

    private static async Task ThroughApiAsync(HttpClient client, (string Name, byte[] Bytes) image, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(image.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(content, "image", image.Name);
        using var response = await client.PostAsync(new Uri("/api/detect", UriKind.Relative), form, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Runs every item with <see cref="InFlight"/> at a time and returns items per second.</summary>
    private static async Task<double> RateAsync(List<(string Name, byte[] Bytes)> items, Func<(string Name, byte[] Bytes), Task> detect)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var i && i < items.Count)
            {
                await detect(items[i]);
            }
        }));
        return items.Count / clock.Elapsed.TotalSeconds;
    }
}
