using System.Diagnostics;
using CustomLabels.Core.Models;

namespace CustomLabels.Bench.Model;

/// <summary>
/// Detection latency (p50, p95) of one image end to end, against one raw backbone call and against the backbone
/// calls a detection makes; throughput with concurrent requests against the backbone alone; memory with a running
/// model. The model is trained on logos-dev/train and detects logos-dev/test photos.
/// </summary>
internal sealed class DetectionBenchmark : IBenchmark
{
    public string Name => "detection";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        await using var bench = BenchModel.Create(context, "detection");
        await bench.UploadLogosDevAsync(context);
        await bench.TrainAsync("bench-detection", cancellationToken);
        await bench.StartAsync("bench-detection", units: 1, cancellationToken);

        // Detection keeps each image's regions by content hash; every image sent here is new content, as a consumer's are.
        var images = BenchModel.LogosDevTest(context).Take(context.Quick ? 24 : 80).Select(File.ReadAllBytes).ToList();
        var salt = 0;
        var backbone = bench.TimeBackbone(context.Quick ? 30 : 100);
        var backboneP50 = BenchModel.Percentile(backbone, 0.5);
        var callsPerDetection = bench.Model.Extractor.DetectionCalls;

        // One at a time: latency as one consumer sees it, queue included.
        await DetectAsync(bench, BenchModel.Distinct(images[0], salt++), cancellationToken);
        var latencies = new List<double>();
        foreach (var image in images.Select(i => BenchModel.Distinct(i, salt++)).ToList())
        {
            var clock = Stopwatch.StartNew();
            await DetectAsync(bench, image, cancellationToken);
            latencies.Add(clock.Elapsed.TotalSeconds);
        }

        var p50 = BenchModel.Percentile(latencies, 0.5);
        var p95 = BenchModel.Percentile(latencies, 0.95);

        // Throughput: the backbone alone on two threads, then detection with two units and many requests in flight,
        // both counted in backbone calls per second.
        var rounds = context.Quick ? 20 : 60;
        var clockAlone = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => bench.TimeBackbone(rounds), cancellationToken)));
        var aloneRate = 2 * (rounds + 1) / clockAlone.Elapsed.TotalSeconds;

        await bench.Model.StopProjectVersionAsync("bench-detection", cancellationToken);
        await bench.Model.WaitForAsync("bench-detection", v => v.Status == ProjectVersionStatus.Stopped, cancellationToken);
        await bench.StartAsync("bench-detection", units: 2, cancellationToken);
        var callsBefore = bench.Model.Extractor.Backbone.Calls;
        var clockDetect = Stopwatch.StartNew();
        await Task.WhenAll(images.Concat(images).Select(i => BenchModel.Distinct(i, salt++)).ToList().Select(i => DetectAsync(bench, i, cancellationToken)));
        var detectRate = (bench.Model.Extractor.Backbone.Calls - callsBefore) / clockDetect.Elapsed.TotalSeconds;

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var rssMegabytes = process.WorkingSet64 / (1024.0 * 1024.0);

        return
        [
            new("detection latency p50 / one backbone call", p50 / backboneP50, "x backbone", "<= 6", p50 / backboneP50 <= 6),
            new("detection latency p95 / one backbone call", p95 / backboneP50, "x backbone", "<= 6", p95 / backboneP50 <= 6),
            new($"detection latency p50 / its {callsPerDetection} backbone calls", p50 / (callsPerDetection * backboneP50), "x", "<= 1.3", p50 / (callsPerDetection * backboneP50) <= 1.3),
            new($"detection latency p95 / its {callsPerDetection} backbone calls", p95 / (callsPerDetection * backboneP50), "x", "<= 1.3", p95 / (callsPerDetection * backboneP50) <= 1.3),
            new("throughput, 2 units, backbone calls/s / backbone alone on 2 threads", detectRate / aloneRate, "x", ">= 0.8", detectRate / aloneRate >= 0.8),
            new("one backbone call p50 (the baseline)", backboneP50 * 1000, "ms", "report", true),
            new("process memory with a running model", rssMegabytes, "MB RSS", "< 600", rssMegabytes < 600),
        ];
    }

    private static Task<DetectCustomLabelsResult> DetectAsync(BenchModel bench, byte[] image, CancellationToken cancellationToken) =>
        bench.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("bench-detection", image), cancellationToken);
}
