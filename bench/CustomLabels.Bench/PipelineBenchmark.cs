using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Bench;

/// <summary>
/// Throughput with several requests in flight, beside <see cref="Api.ApiDetectionBenchmark"/>'s one at a time:
/// detections per second through the whole workflow path (POST /api/detect over loopback HTTP, the object store, the
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
            await Api.ApiDetectionBenchmark.TrainAsync(app.Services, client, Path.Combine(demo, "train"), cancellationToken);
            var version = (await client.GetFromJsonAsync<JsonObject>(new Uri("/api/project-versions", UriKind.Relative), cancellationToken))!["runningVersion"]!.GetValue<string>();

            var images = Directory.EnumerateFiles(Path.Combine(demo, "inference"), "*.jpg").Order(StringComparer.Ordinal)
                .Select(path => (Name: Path.GetFileName(path), Bytes: File.ReadAllBytes(path))).ToList();
            var work = Enumerable.Range(0, 3 * images.Count).Select(i => images[i % images.Count]).ToList();
            var model = app.Services.GetRequiredService<ICustomLabelsModel>();
            Task Alone((string Name, byte[] Bytes) image) => model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(version, image.Bytes), cancellationToken);
            Task Pipeline((string Name, byte[] Bytes) image) => Api.ApiDetectionBenchmark.DetectThroughApiAsync(client, image.Bytes, cancellationToken);

            // Warm both paths, then alternate short rounds, each path first in turn, so that neither gets the quieter
            // moments of a shared machine.
            await TimeAsync(work[..(InFlight * 2)], Pipeline);
            await TimeAsync(work[..(InFlight * 2)], Alone);
            var rounds = context.Quick ? 2 : 4;
            TimeSpan modelTime = TimeSpan.Zero, pipelineTime = TimeSpan.Zero;
            for (var round = 0; round < rounds; round++)
            {
                if (round % 2 == 0)
                {
                    modelTime += await TimeAsync(work, Alone);
                    pipelineTime += await TimeAsync(work, Pipeline);
                }
                else
                {
                    pipelineTime += await TimeAsync(work, Pipeline);
                    modelTime += await TimeAsync(work, Alone);
                }
            }

            var modelRate = rounds * work.Count / modelTime.TotalSeconds;
            var pipelineRate = rounds * work.Count / pipelineTime.TotalSeconds;
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

    /// <summary>Runs every item with <see cref="InFlight"/> at a time and returns how long it took.</summary>
    private static async Task<TimeSpan> TimeAsync(List<(string Name, byte[] Bytes)> items, Func<(string Name, byte[] Bytes), Task> detect)
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
        return clock.Elapsed;
    }
}
