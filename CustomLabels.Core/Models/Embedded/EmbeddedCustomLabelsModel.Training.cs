using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CustomLabels.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Core.Models.Embedded;

public sealed partial class EmbeddedCustomLabelsModel
{
    /// <summary>The confidence (0..100) at which evaluation counts a prediction, per label; the calibrated midpoint.</summary>
    internal const float EvaluationThreshold = 50;

    private const string ManifestCopy = "training.manifest";
    private const string TestListCopy = "test.manifest";
    private const string ValidationFile = "validation.json";

    /// <summary>What the last training run measured, for benchmarks: backbone calls, cache hits and time per phase.</summary>
    internal TrainingStatistics? LastTrainingStatistics { get; private set; }

    private async Task TrainInBackgroundAsync(VersionSlot slot, CreateProjectVersionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await TrainAsync(slot, request, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The service is stopping; the next start trains the version again.
        }
        catch (TrainingFailedException e)
        {
            LogTrainingFailed(request.VersionName, e.Message);
            await FailAsync(slot, e.Message);
        }
#pragma warning disable CA1031 // Training never ends as an unhandled exception; the status message says what went wrong.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogTrainingCrashed(request.VersionName, e);
            await FailAsync(slot, $"Training failed: {e.Message}");
        }
    }

    private Task FailAsync(VersionSlot slot, string message) =>
        UpdateAsync(slot, v => v with
        {
            Status = ProjectVersionStatus.TrainingFailed,
            StatusMessage = message,
            TrainingProgress = null,
            TrainingEndTimestamp = _time.GetUtcNow(),
        }, CancellationToken.None);

    private async Task TrainAsync(VersionSlot slot, CreateProjectVersionRequest request, CancellationToken cancellationToken)
    {
        var statistics = new TrainingStatistics();
        var clock = Stopwatch.StartNew();
        var versionDirectory = VersionDirectory(request.VersionName);
        var training = await ReadManifestAsync(request.TrainingManifestKey, "training", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(versionDirectory, ManifestCopy), ManifestText(training), cancellationToken);

        List<ManifestEntry> test;
        if (request.TestManifestKey is not null)
        {
            test = [.. await ReadManifestAsync(request.TestManifestKey, "test", cancellationToken)];
        }
        else
        {
            (training, test) = Split(training);
        }

        await File.WriteAllTextAsync(Path.Combine(versionDirectory, TestListCopy), ManifestText(test), cancellationToken);
        var labels = training.Select(e => e.Label).Concat(test.Select(e => e.Label)).Distinct().Order(StringComparer.Ordinal).ToArray();
        CheckLabels(labels, training);

        // Embedding: every training image that the cache lacks, then the background canvases.
        var extractor = Extractor;
        var callsBefore = extractor.Backbone.Calls;
        var backboneBefore = extractor.Backbone.Time;
        var skipped = new List<string>();
        var embedded = new List<(ManifestEntry Entry, ImageSamples Samples)>();
        var total = training.Count + _options.BackgroundCanvases;
        var done = 0;
        foreach (var entry in training)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var samples = await SamplesOfAsync(entry, extractor, statistics, skipped, cancellationToken);
            if (samples is not null)
            {
                embedded.Add((entry, samples));
            }

            await ReportProgressAsync(slot, 0.85 * ++done / total);
        }

        var backgrounds = new List<ImageSamples>();
        for (var i = 0; i < _options.BackgroundCanvases; i++)
        {
            var key = $"background-{i}";
            var samples = _cache.TryRead(extractor.CacheRecipe, key);
            if (samples is null)
            {
                samples = await Task.Run(() => extractor.ExtractBackgrounds(i), cancellationToken);
                _cache.Write(extractor.CacheRecipe, key, samples);
            }

            backgrounds.Add(samples);
            await ReportProgressAsync(slot, 0.85 * ++done / total);
        }

        statistics.EmbeddingTime = clock.Elapsed;
        CheckLabels(labels, [.. embedded.Select(e => e.Entry)], skipped);

        // The head, chosen and calibrated on validation views made from the training images only.
        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var images = embedded
            .GroupBy(e => e.Entry.Label, StringComparer.Ordinal)
            .SelectMany(g => g.OrderBy(e => e.Entry.ETag, StringComparer.Ordinal).Select((e, i) => new TrainingImage(labelIndex[e.Entry.Label], i % 2, e.Samples)))
            .ToList();
        var (head, validation) = await Task.Run(() => HeadTrainer.Train(labels, images, backgrounds, [_options.ColourWeight]), cancellationToken);
        HeadFile.Write(Path.Combine(versionDirectory, HeadFileName), head);
        await File.WriteAllBytesAsync(Path.Combine(versionDirectory, ValidationFile), JsonSerializer.SerializeToUtf8Bytes(validation, StateJson), cancellationToken);
        LogValidation(request.VersionName, validation.Top1Accuracy, validation.Auroc, validation.KnownAccepted, validation.UnknownRejected, validation.SimilarityWeight, validation.MarginWeight);
        statistics.FitTime = clock.Elapsed - statistics.EmbeddingTime;
        await ReportProgressAsync(slot, 0.9);

        // Evaluation on the test set, through the same pipeline as detection.
        var predictions = new List<(string Truth, string Predicted, float Confidence)>();
        foreach (var entry in test)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var regions = await DetectionFeaturesAsync(entry, extractor, cancellationToken);
                var result = Result(head, head.Score(regions), 0, 1);
                var top = result.CustomLabels.Count > 0 ? result.CustomLabels[0] : null;
                predictions.Add((entry.Label, top?.Name ?? string.Empty, top?.Confidence ?? 0));
            }
            catch (Exception e) when (e is InvalidImageException or ImageTooLargeException or ObjectNotFoundException)
            {
                skipped.Add($"{entry.Key} ({e.Message})");
            }
        }

        statistics.EvaluationTime = clock.Elapsed - statistics.EmbeddingTime - statistics.FitTime;
        statistics.BackboneCalls = extractor.Backbone.Calls - callsBefore;
        statistics.BackboneTime = extractor.Backbone.Time - backboneBefore;
        statistics.TrainingImages = embedded.Count;
        LastTrainingStatistics = statistics;

        var summary = EvaluationSummary.FromPredictions(
            labels, predictions, EvaluationThreshold, slot.Version.ProjectVersionArn, embedded.Count, _time.GetUtcNow());
        var summaryKey = EvaluationSummary.KeyFor(request.VersionName);
        await summary.WriteAsync(_store, summaryKey, cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(versionDirectory, Path.GetFileName(summaryKey)), JsonSerializer.SerializeToUtf8Bytes(summary, EvaluationSummary.JsonOptions), cancellationToken);

        var message = $"Trained on {embedded.Count} images ({statistics.CacheHits} from the embedding cache), tested on {predictions.Count}.";
        if (skipped.Count > 0)
        {
            message += $" Skipped {skipped.Count} unreadable: {string.Join("; ", skipped.Take(10))}{(skipped.Count > 10 ? "; ..." : string.Empty)}";
        }

        await UpdateAsync(slot, v => v with
        {
            Status = ProjectVersionStatus.TrainingCompleted,
            StatusMessage = message,
            TrainingProgress = 1,
            TrainingEndTimestamp = _time.GetUtcNow(),
            TrainingImageCount = embedded.Count,
            TestImageCount = predictions.Count,
            F1Score = summary.AggregatedEvaluationResults.F1Score,
            EvaluationSummaryKey = summaryKey,
        }, CancellationToken.None);
        LogTrained(request.VersionName, embedded.Count, statistics.CacheHits, clock.Elapsed.TotalSeconds, summary.AggregatedEvaluationResults.F1Score);
    }

    private async Task<ImageSamples?> SamplesOfAsync(
        ManifestEntry entry, FeatureExtractor extractor, TrainingStatistics statistics, List<string> skipped, CancellationToken cancellationToken)
    {
        if (entry.ETag is { } known && _cache.TryRead(extractor.CacheRecipe, known) is { } cached)
        {
            statistics.CacheHits++;
            return cached;
        }

        try
        {
            var bytes = await _store.ReadAllBytesAsync(entry.Key, cancellationToken);
#pragma warning disable CA5351 // MD5 is the object's ETag, an identity of content.
            var hash = entry.ETag ?? Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
            if (_cache.TryRead(extractor.CacheRecipe, hash) is { } byContent)
            {
                statistics.CacheHits++;
                return byContent;
            }

            var samples = await Task.Run(
                () =>
                {
                    using var image = ImagePixels.Decode(bytes);
                    return extractor.ExtractForTraining(image, hash);
                },
                cancellationToken);
            _cache.Write(extractor.CacheRecipe, hash, samples);
            statistics.Embedded++;
            return samples;
        }
        catch (Exception e) when (e is InvalidImageException or ImageTooLargeException or ObjectNotFoundException)
        {
            skipped.Add($"{entry.Key} ({e.Message})");
            return null;
        }
    }

    /// <summary>A test image's region features, from the cache when this content was evaluated before.</summary>
    private async Task<float[]> DetectionFeaturesAsync(ManifestEntry entry, FeatureExtractor extractor, CancellationToken cancellationToken)
    {
        var recipe = $"detect-{extractor.DetectionRecipe}";
        if (entry.ETag is { } known && _cache.TryRead(recipe, known) is { } cached)
        {
            return cached.Embeddings;
        }

        var bytes = await _store.ReadAllBytesAsync(entry.Key, cancellationToken);
#pragma warning disable CA5351 // MD5 is the object's ETag, an identity of content.
        var hash = entry.ETag ?? Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
        var regions = await Task.Run(
            () =>
            {
                using var image = ImagePixels.Decode(bytes);
                return extractor.ExtractForDetection(image);
            },
            cancellationToken);
        var rows = regions.Length / RegionFeatures.Dimension;
        _cache.Write(recipe, hash, new ImageSamples(new SampleRole[rows], new byte[rows], regions));
        return regions;
    }

    private async Task<IReadOnlyList<ManifestEntry>> ReadManifestAsync(string key, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await TrainingManifest.ReadAsync(_store, key, cancellationToken);
        }
        catch (ObjectNotFoundException)
        {
            throw new TrainingFailedException($"The {what} manifest '{key}' does not exist.");
        }
        catch (InvalidDataException e)
        {
            throw new TrainingFailedException($"The {what} manifest '{key}' cannot be read: {e.Message}");
        }
    }

    /// <summary>
    /// Splits a test set off deterministically by content hash: an image is a test image when its hash falls in the
    /// first <see cref="ModelOptions.TestFraction"/> of the hash space, so adding images never moves old ones between
    /// the sets. A label with two images or more keeps at least one test image and at least one training image.
    /// </summary>
    private (List<ManifestEntry> Training, List<ManifestEntry> Test) Split(IReadOnlyList<ManifestEntry> entries)
    {
        var training = new List<ManifestEntry>();
        var test = new List<ManifestEntry>();
        foreach (var group in entries.GroupBy(e => e.Label, StringComparer.Ordinal))
        {
            var ordered = group.Select(e => (Entry: e, Position: HashPosition(e))).OrderBy(e => e.Position).ThenBy(e => e.Entry.Key, StringComparer.Ordinal).ToList();
            var testCount = ordered.Count(e => e.Position < _options.TestFraction);
            if (ordered.Count >= 2)
            {
                testCount = Math.Clamp(testCount, 1, ordered.Count - 1);
            }
            else
            {
                testCount = 0;
            }

            test.AddRange(ordered.Take(testCount).Select(e => e.Entry));
            training.AddRange(ordered.Skip(testCount).Select(e => e.Entry));
        }

        return (training, test);
    }

    /// <summary>Where an image's content hash falls in [0, 1).</summary>
    private static double HashPosition(ManifestEntry entry)
    {
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(entry.ETag ?? entry.Key));
        return BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue;
    }

    private static void CheckLabels(string[] labels, IReadOnlyList<ManifestEntry> training, List<string>? skipped = null)
    {
        var reason = skipped is { Count: > 0 } ? $" ({skipped.Count} images were unreadable: {string.Join("; ", skipped.Take(5))})" : string.Empty;
        if (labels.Length < 2)
        {
            throw new TrainingFailedException(
                $"Training needs at least 2 labels; the manifest has {labels.Length}{(labels.Length == 1 ? $" ('{labels[0]}')" : string.Empty)}. Add images of another label.");
        }

        var empty = labels.Where(l => !training.Any(e => e.Label == l)).ToList();
        if (empty.Count > 0)
        {
            throw new TrainingFailedException(
                $"Every label needs at least one training image; {string.Join(", ", empty.Select(l => $"'{l}'"))} {(empty.Count == 1 ? "has" : "have")} none{reason}.");
        }
    }

    private static string ManifestText(IEnumerable<ManifestEntry> entries) =>
        string.Concat(entries.Select(e => JsonSerializer.Serialize(e, StateJson) + "\n"));

    private async Task ReportProgressAsync(VersionSlot slot, double progress)
    {
        var previous = slot.Version.TrainingProgress ?? 0;
        if (progress - previous >= 0.01)
        {
            await UpdateAsync(slot, v => v with { TrainingProgress = Math.Round(progress, 3) }, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training of version {Version} failed: {Reason}")]
    private partial void LogTrainingFailed(string version, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Training of version {Version} failed unexpectedly")]
    private partial void LogTrainingCrashed(string version, Exception exception);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Version {Version} validation: top-1 {Top1:P1}, AUROC {Auroc:0.000}, known accepted {Accepted:P1}, unknown rejected {Rejected:P1} (similarity weight {Similarity}, margin weight {Margin})")]
    private partial void LogValidation(string version, double top1, double auroc, double accepted, double rejected, float similarity, float margin);

    [LoggerMessage(Level = LogLevel.Information, Message = "Version {Version} trained on {Images} images ({CacheHits} cached) in {Seconds:0.0} s; F1 {F1:0.000}")]
    private partial void LogTrained(string version, int images, int cacheHits, double seconds, double f1);

    /// <summary>Training cannot go on; the message is the version's status message.</summary>
    private sealed class TrainingFailedException(string message) : Exception(message);
}

/// <summary>What one training run did.</summary>
internal sealed class TrainingStatistics
{
    public int TrainingImages { get; set; }

    public int Embedded { get; set; }

    public int CacheHits { get; set; }

    public long BackboneCalls { get; set; }

    public TimeSpan EmbeddingTime { get; set; }

    /// <summary>Time inside backbone calls (of this training, unless another ran at the same time).</summary>
    public TimeSpan BackboneTime { get; set; }

    public TimeSpan FitTime { get; set; }

    public TimeSpan EvaluationTime { get; set; }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{TrainingImages} images, {Embedded} embedded, {CacheHits} cached, {BackboneCalls} backbone calls ({BackboneTime.TotalSeconds:0.0} s); embed {EmbeddingTime.TotalSeconds:0.0} s, fit {FitTime.TotalSeconds:0.0} s, evaluate {EvaluationTime.TotalSeconds:0.0} s");
}
