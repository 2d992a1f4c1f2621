using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Embedded;
using CustomLabels.Core.Storage;

namespace CustomLabels.Bench.Model;

/// <summary>
/// What the embedded model learns, on logos-dev: a fresh model (trained on train/, the validation figures that chose its
/// scoring, then test/ and unknown/), two labels alone, two rounds of the review loop (photos split in halves by content
/// hash; each half's loops answered with the truth, scored on the other half), and the cost of a retraining after 50
/// answered photos against the first training.
/// </summary>
internal sealed class LearningBenchmark : IBenchmark
{
    private const float Threshold = 70;

    public string Name => "learning";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var figures = new List<Figure>();
        var logosDev = Path.Combine(context.Datasets, "logos-dev");
        var photos = File.ReadLines(Path.Combine(logosDev, "labels.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] is "test" or "unknown")
            .Select(f => new Photo(Path.Combine(logosDev, f[1]), f[0] == "test" ? f[2] : null, File.ReadAllBytes(Path.Combine(logosDev, f[1]))))
            .ToList();

        // A fresh model.
        await using var bench = BenchModel.Create(context, "learning");
        await bench.UploadLogosDevAsync(context);
        await bench.TrainAsync("v1", cancellationToken);
        Console.WriteLine($"  v1 validation (training images only): {Validation(bench, "v1")}");
        await bench.StartAsync("v1", units: 2, cancellationToken);
        var fresh = await ScoreAsync(bench, "v1", photos, cancellationToken);
        Console.WriteLine($"  v1 on test/ and unknown/: {fresh}");
        figures.Add(new("fresh model: top-1 on test/", fresh.Top1, "share", ">= 0.97", fresh.Top1 >= 0.97));
        figures.Add(new("fresh model: accepted with the right label at 70", fresh.Accepted, "share", ">= 0.90", fresh.Accepted >= 0.90));
        figures.Add(new("fresh model: unknown rejected at 70", fresh.Rejected, "share", ">= 0.97", fresh.Rejected >= 0.97));
        figures.Add(new("fresh model: AUROC known against unknown", fresh.Auroc, "", ">= 0.98", fresh.Auroc >= 0.98));

        // The loop: half A's loops answered, v2 scored on half B; then half B's loops, v3 scored on half A.
        var halfA = photos.Where(p => SHA256.HashData(p.Bytes)[0] % 2 == 0).ToList();
        var halfB = photos.Except(halfA).ToList();
        var v1OnB = await ScoreAsync(bench, "v1", halfB, cancellationToken);
        var loopsA = await AnswerLoopsAsync(bench, "v1", halfA, 1, cancellationToken);
        var (_, v2Time) = await bench.TrainAsync("v2", cancellationToken);
        Console.WriteLine($"  v2 ({loopsA} loops of half A answered; trained in {v2Time.TotalSeconds:0.0} s: {bench.Model.LastTrainingStatistics}) validation: {Validation(bench, "v2")}");
        await bench.StartAsync("v2", units: 2, cancellationToken);
        var v2OnB = await ScoreAsync(bench, "v2", halfB, cancellationToken);
        var v2OnA = await ScoreAsync(bench, "v2", halfA, cancellationToken);
        Console.WriteLine($"  round 1, on half B: v1 {v1OnB}; v2 {v2OnB}");
        var loopsB = await AnswerLoopsAsync(bench, "v2", halfB, 2, cancellationToken);
        await bench.TrainAsync("v3", cancellationToken);
        await bench.StartAsync("v3", units: 2, cancellationToken);
        var v3OnA = await ScoreAsync(bench, "v3", halfA, cancellationToken);
        Console.WriteLine($"  round 2 ({loopsB} loops of half B answered), on half A: v2 {v2OnA}; v3 {v3OnA}");
        figures.Add(new("round 1 on half B: accepted-correct v2 - v1", v2OnB.Accepted - v1OnB.Accepted, "", ">= 0.05", v2OnB.Accepted - v1OnB.Accepted >= 0.05));
        figures.Add(new("round 1 on half B: unknown rejected v2 - v1", v2OnB.Rejected - v1OnB.Rejected, "", ">= 0", v2OnB.Rejected >= v1OnB.Rejected));
        figures.Add(new("round 1 on half B: AUROC v2 - v1", v2OnB.Auroc - v1OnB.Auroc, "", "> 0", v2OnB.Auroc > v1OnB.Auroc));
        figures.Add(new("round 2 on half A: AUROC v3 - v2", v3OnA.Auroc - v2OnA.Auroc, "", ">= 0", v3OnA.Auroc >= v2OnA.Auroc));

        // Two labels alone.
        await using (var two = BenchModel.Create(context, "learning-two"))
        {
            string[] brands = ["godot", "keepassxc"];
            foreach (var file in BenchModel.LogosDevTrain(context).Where(f => brands.Contains(Path.GetFileName(Path.GetDirectoryName(f)))))
            {
                await two.Store.PutBytesAsync(BucketLayout.TrainingImageKey(Path.GetFileName(Path.GetDirectoryName(file))!, Path.GetFileName(file)), await File.ReadAllBytesAsync(file, cancellationToken), cancellationToken: cancellationToken);
            }

            await two.TrainAsync("two", cancellationToken);
            Console.WriteLine($"  two labels validation: {Validation(two, "two")}");
            await two.StartAsync("two", units: 2, cancellationToken);
            var result = await ScoreAsync(two, "two", [.. photos.Select(p => p with { Truth = brands.Contains(p.Truth) ? p.Truth : null })], cancellationToken);
            Console.WriteLine($"  two labels ({string.Join(", ", brands)}): {result}");
            figures.Add(new("two labels: their photos accepted at 70", result.Accepted, "share", ">= 0.90", result.Accepted >= 0.90));
            figures.Add(new("two labels: every other photo rejected at 70", result.Rejected, "share", ">= 0.95", result.Rejected >= 0.95));
        }

        // Cost: a retraining after 50 answered photos (detected first, as the loop detects them) against the first training.
        await using (var cost = BenchModel.Create(context, "learning-cost"))
        {
            await cost.UploadLogosDevAsync(context);
            var (_, first) = await cost.TrainAsync("first", cancellationToken);
            await cost.StartAsync("first", units: 2, cancellationToken);
            var answered = photos.OrderBy(p => Convert.ToHexString(SHA256.HashData(p.Bytes)), StringComparer.Ordinal).Take(50).ToList();
            await Task.WhenAll(answered.Select(p => cost.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("first", p.Bytes), cancellationToken)));
            await AnswerAsync(cost, answered, 1, cancellationToken);
            var (_, again) = await cost.TrainAsync("again", cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  first training {first.TotalSeconds:0.0} s; after 50 answered photos {again.TotalSeconds:0.0} s ({cost.Model.LastTrainingStatistics})"));
            figures.Add(new("retraining after 50 answered photos / first training", again / first, "x", "< 0.10", again / first < 0.10));
        }

        return figures;
    }

    private static string Validation(BenchModel bench, string version)
    {
        var path = Path.Combine(bench.Model.ModelsDirectory, version, "validation.json");
        return File.Exists(path) ? JsonSerializer.Serialize(JsonDocument.Parse(File.ReadAllText(path)).RootElement) : "none";
    }

    private static async Task<Score> ScoreAsync(BenchModel bench, string version, List<Photo> photos, CancellationToken cancellationToken)
    {
        var tops = await Task.WhenAll(photos.Select(async p =>
            (await bench.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(version, p.Bytes), cancellationToken)).CustomLabels is { Count: > 0 } labels ? labels[0] : null));
        var known = photos.Select((p, i) => (p.Truth, Top: tops[i])).Where(k => k.Truth is not null).ToList();
        var unknown = photos.Select((p, i) => (p.Truth, Top: tops[i])).Where(k => k.Truth is null).ToList();
        return new Score(
            known.Count(k => k.Top?.Name == k.Truth) / (double)known.Count,
            known.Count(k => k.Top is { } top && top.Name == k.Truth && top.Confidence >= Threshold) / (double)known.Count,
            unknown.Count(u => (u.Top?.Confidence ?? 0) < Threshold) / (double)unknown.Count,
            Metrics.Auroc([.. known.Select(k => (double)(k.Top?.Confidence ?? 0))], [.. unknown.Select(u => (double)(u.Top?.Confidence ?? 0))]));
    }

    /// <summary>Detects the photos; those below the threshold open a loop, answered with the truth. Returns the loop count.</summary>
    private static async Task<int> AnswerLoopsAsync(BenchModel bench, string version, List<Photo> photos, int round, CancellationToken cancellationToken)
    {
        var tops = await Task.WhenAll(photos.Select(async p =>
            (await bench.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(version, p.Bytes), cancellationToken)).CustomLabels is { Count: > 0 } labels ? labels[0] : null));
        var loops = photos.Where((_, i) => (tops[i]?.Confidence ?? 0) < Threshold).ToList();
        await AnswerAsync(bench, loops, round, cancellationToken);
        return loops.Count;
    }

    /// <summary>
    /// What the review branch does with a truthful answer: a copy in the brand's label folder that names its loop, or one
    /// under images_rejected/.
    /// </summary>
    private static async Task AnswerAsync(BenchModel bench, List<Photo> photos, int round, CancellationToken cancellationToken)
    {
        var i = 0;
        foreach (var photo in photos)
        {
            var name = $"loop{round}-{i++}-{Path.GetFileName(photo.Path)}";
            var key = photo.Truth is { } brand ? BucketLayout.TrainingImageKey(brand, name) : $"{BucketLayout.RejectedImages}{name}";
            var marks = new Dictionary<string, string>(StringComparer.Ordinal) { [TrainingManifest.HumanLoopMetadataKey] = $"loop{round}-{i}" };
            await bench.Store.PutBytesAsync(key, photo.Bytes, photo.Truth is null ? null : marks, cancellationToken);
        }
    }

    private sealed record Photo(string Path, string? Truth, byte[] Bytes);

    private sealed record Score(double Top1, double Accepted, double Rejected, double Auroc)
    {
        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture, $"top-1 {Top1:0.000}, accepted-correct {Accepted:0.000}, unknown rejected {Rejected:0.000}, AUROC {Auroc:0.000}");
    }
}
