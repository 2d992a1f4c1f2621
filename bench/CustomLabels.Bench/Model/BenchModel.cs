using System.Diagnostics;
using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Embedded;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using SkiaSharp;

namespace CustomLabels.Bench.Model;

/// <summary>A data directory with the embedded model over it, and the helpers the model benchmarks share.</summary>
internal sealed class BenchModel : IAsyncDisposable
{
    private BenchModel(string directory, ModelOptions options)
    {
        Directory = directory;
        Store = new FileObjectStore(directory, NullLogger<FileObjectStore>.Instance);
        Model = new EmbeddedCustomLabelsModel(
            Store,
            Microsoft.Extensions.Options.Options.Create(new CustomLabelsOptions { DataDirectory = directory }),
            Microsoft.Extensions.Options.Options.Create(options),
            new PipelineEvents(),
            TimeProvider.System,
            NullLogger<EmbeddedCustomLabelsModel>.Instance);
    }

    public string Directory { get; }

    public FileObjectStore Store { get; }

    public EmbeddedCustomLabelsModel Model { get; }

    public static BenchModel Create(BenchContext context, string name, ModelOptions? options = null) =>
        new(Path.Combine(context.Scratch, name), options ?? new ModelOptions());

    public static IReadOnlyList<string> LogosDevTrain(BenchContext context) =>
        [.. System.IO.Directory.EnumerateFiles(Path.Combine(context.Datasets, "logos-dev", "train"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> LogosDevTest(BenchContext context) =>
        [.. System.IO.Directory.EnumerateFiles(Path.Combine(context.Datasets, "logos-dev", "test"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>Uploads logos-dev/train into the training set.</summary>
    public async Task UploadLogosDevAsync(BenchContext context)
    {
        foreach (var file in LogosDevTrain(context))
        {
            var label = Path.GetFileName(Path.GetDirectoryName(file))!;
            await Store.PutBytesAsync(BucketLayout.TrainingImageKey(label, Path.GetFileName(file)), await File.ReadAllBytesAsync(file));
        }
    }

    /// <summary>
    /// Uploads <paramref name="count"/> distinct training images, starting at <paramref name="first"/>: logos-dev's
    /// clean shots in turn, each pass cropped by a few more pixels and re-encoded, so every image has its own content.
    /// </summary>
    public async Task UploadVariantsAsync(BenchContext context, int first, int count)
    {
        var sources = LogosDevTrain(context);
        for (var i = first; i < first + count; i++)
        {
            var source = sources[i % sources.Count];
            var pass = i / sources.Count;
            using var original = SKBitmap.Decode(source);
            var inset = 1 + pass;
            using var cropped = new SKBitmap(original.Width - (2 * inset), original.Height - (2 * inset));
            original.ExtractSubset(cropped, new SKRectI(inset, inset, original.Width - inset, original.Height - inset));
            using var data = cropped.Encode(SKEncodedImageFormat.Jpeg, 90);
            var label = Path.GetFileName(Path.GetDirectoryName(source))!;
            await Store.PutBytesAsync(BucketLayout.TrainingImageKey(label, $"{label}-{i:0000}.jpg"), data.ToArray());
        }
    }

    /// <summary>Writes the manifest, trains, and waits; returns the version and the wall time.</summary>
    public async Task<(ProjectVersion Version, TimeSpan Time)> TrainAsync(string version, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await TrainingManifest.WriteAsync(Store, version, cancellationToken: cancellationToken);
        var negatives = TrainingManifest.NegativesKeyFor(version);
        var rejected = await TrainingManifest.WriteNegativesAsync(Store, negatives, cancellationToken: cancellationToken);
        await Model.CreateProjectVersionAsync(
            new CreateProjectVersionRequest(version, TrainingManifest.KeyFor(version), NegativesManifestKey: rejected.Count > 0 ? negatives : null), cancellationToken);
        var trained = await Model.WaitForAsync(version, v => v.Status != ProjectVersionStatus.TrainingInProgress, cancellationToken);
        if (trained.Status != ProjectVersionStatus.TrainingCompleted)
        {
            throw new InvalidOperationException($"Training {version} ended {trained.Status}: {trained.StatusMessage}");
        }

        return (trained, clock.Elapsed);
    }

    public async Task StartAsync(string version, int units, CancellationToken cancellationToken)
    {
        await Model.StartProjectVersionAsync(version, units, cancellationToken);
        var started = await Model.WaitForAsync(version, v => v.Status != ProjectVersionStatus.Starting, cancellationToken);
        if (started.Status != ProjectVersionStatus.Running)
        {
            throw new InvalidOperationException($"Starting {version} ended {started.Status}: {started.StatusMessage}");
        }
    }

    /// <summary>
    /// The same image as other bytes: a salt appended after its end, which decoders ignore, so that its content hash is
    /// new and the embedding cache cannot answer for it.
    /// </summary>
    public static byte[] Distinct(byte[] image, int salt) => [.. image, .. System.Text.Encoding.ASCII.GetBytes($"salt-{salt}")];

    /// <summary>Times raw backbone calls on a 224 x 224 tensor, one after another; returns each call's seconds.</summary>
    public double[] TimeBackbone(int calls)
    {
        var backbone = Model.Extractor.Backbone;
        var tensor = new float[ResNet18Backbone.InputLength];
        new Random(7).NextBytes(new byte[1]);
        for (var i = 0; i < tensor.Length; i++)
        {
            tensor[i] = (i % 255) - 120f;
        }

        var pooled = new float[ResNet18Backbone.Channels];
        var map = new float[ResNet18Backbone.Channels * ResNet18Backbone.GridSize * ResNet18Backbone.GridSize];
        backbone.Run(tensor, pooled, map); // warm-up
        var times = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var clock = Stopwatch.StartNew();
            backbone.Run(tensor, pooled, map);
            times[i] = clock.Elapsed.TotalSeconds;
        }

        return times;
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    public async ValueTask DisposeAsync() => await Model.DisposeAsync();
}
