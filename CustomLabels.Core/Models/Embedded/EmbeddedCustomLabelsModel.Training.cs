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

    /// <summary>Composites made of each generated logo (the first is also a validation view).</summary>
    private const int ForeignVariants = 2;

    /// <summary>The regions of a rejected image that looked most like a label, kept as hard negatives.</summary>
    private const int HardNegativesPerRejectedImage = 16;

    /// <summary>The regions off a photo's subject that looked most like its label, kept as its background.</summary>
    private const int HardBackgroundsPerPhoto = 8;

    /// <summary>Regions per label that the locating head ranks (the detection head ranks 8).</summary>
    private const int LocatingCandidates = 48;

    /// <summary>How many of the best regions for a photo's label may grow its located box.</summary>
    private const int LocatingUnion = 4;

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
            // The same rule as the workflow's test manifests (TestSplit): by content hash, so adding images never
            // moves old ones between the sets.
            var split = TestSplit.Split(training, _options.TestFraction);
            (training, test) = (split.Training, [.. split.Test]);
        }

        await File.WriteAllTextAsync(Path.Combine(versionDirectory, TestListCopy), ManifestText(test), cancellationToken);
        var labels = training.Select(e => e.Label).Concat(test.Select(e => e.Label)).Distinct().Order(StringComparer.Ordinal).ToArray();
        CheckLabels(labels, training);

        var negatives = request.NegativesManifestKey is { } negativesKey
            ? await ReadManifestAsync(negativesKey, "negatives", TrainingManifest.ReadNegativesAsync, cancellationToken)
            : [];

        // Embedding: every training image that the cache lacks, the background canvases, the generated logos and the
        // rejected images. Clean shots are composited; photos (busy borders, or a region given) are learnt by region.
        var extractor = Extractor;
        var callsBefore = extractor.Backbone.Calls;
        var backboneBefore = extractor.Backbone.Time;
        var skipped = new List<string>();
        var clean = new List<(ManifestEntry Entry, ImageSamples Samples)>();
        var photos = new List<(ManifestEntry Entry, string Hash, float[] Regions)>();
        var total = training.Count + _options.BackgroundCanvases + _options.ForeignLogos + negatives.Count;
        var done = 0;
        foreach (var entry in training)
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (await EmbedTrainingImageAsync(entry, extractor, statistics, skipped, cancellationToken))
            {
                case { Samples: { } samples }:
                    clean.Add((entry, samples));
                    break;
                case { Regions: { } regions, Hash: { } hash }:
                    photos.Add((entry, hash, regions));
                    break;
                default:
                    break;
            }

            await ReportProgressAsync(slot, 0.85 * ++done / total);
        }

        var backgrounds = new List<ImageSamples>();
        for (var i = 0; i < _options.BackgroundCanvases; i++)
        {
            var index = i;
            backgrounds.Add(await CachedAsync($"background-{i}", () => extractor.ExtractBackgrounds(index), cancellationToken));
            await ReportProgressAsync(slot, 0.85 * ++done / total);
        }

        var foreign = new List<ImageSamples>();
        for (var i = 0; i < _options.ForeignLogos; i++)
        {
            var index = i;
            foreign.Add(await CachedAsync($"foreign-{i}", () => extractor.ExtractForeign(index, ForeignVariants), cancellationToken));
            await ReportProgressAsync(slot, 0.85 * ++done / total);
        }

        var rejected = new List<(string Hash, float[] Regions)>();
        foreach (var entry in negatives)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var (hash, regions) = await DetectionFeaturesOfAsync(entry, extractor, cancellationToken);
                rejected.Add((hash, regions));
            }
            catch (Exception e) when (e is InvalidImageException or ImageTooLargeException or ObjectNotFoundException)
            {
                skipped.Add($"{entry.Key} ({e.Message})");
            }

            await ReportProgressAsync(slot, 0.85 * ++done / total);
        }

        statistics.EmbeddingTime = clock.Elapsed;
        var embedded = clean.Select(c => c.Entry).Concat(photos.Select(p => p.Entry)).ToList();
        CheckLabels(labels, embedded, skipped);

        // The head, chosen and calibrated on validation views made from the training images only.
        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var (head, validation) = await Task.Run(
            () =>
            {
                var cleanImages = TrainingImages(clean.Select(c => (c.Entry, c.Samples, false)), labelIndex);
                var located = LocatePhotos(labels, labelIndex, cleanImages, backgrounds, foreign, photos, rejected, extractor, out var hardNegatives);
                var images = TrainingImages(clean.Select(c => (c.Entry, c.Samples, false)).Concat(located.Select(l => (l.Entry, l.Samples, true))), labelIndex);
                return HeadTrainer.Train(labels, images, backgrounds, [.. foreign, .. hardNegatives], [_options.ColourWeight], generatedForeign: foreign.Count);
            },
            cancellationToken);
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
                var result = Result(head, head.Best(regions), extractor.DetectionBoxes, 0, 1);
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
        statistics.Photos = photos.Count;
        statistics.RejectedImages = rejected.Count;
        LastTrainingStatistics = statistics;

        var summary = EvaluationSummary.FromPredictions(
            labels, predictions, EvaluationThreshold, slot.Version.ProjectVersionArn, embedded.Count, _time.GetUtcNow());
        var summaryKey = EvaluationSummary.KeyFor(request.VersionName);
        await summary.WriteAsync(_store, summaryKey, cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(versionDirectory, Path.GetFileName(summaryKey)), JsonSerializer.SerializeToUtf8Bytes(summary, EvaluationSummary.JsonOptions), cancellationToken);

        var message = $"Trained on {embedded.Count} images ({photos.Count} of them photos, learnt by region; {statistics.CacheHits} from the embedding cache)"
            + (rejected.Count > 0 ? $" and {rejected.Count} rejected images" : string.Empty)
            + $", tested on {predictions.Count}.";
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

    /// <summary>
    /// Embeds one training image: a clean shot as composites (<see cref="FeatureExtractor.ExtractForTraining"/>), a
    /// photo as its detection regions, to be learnt by region. An image a reviewer labelled, one with a region given, or
    /// one with a busy border is a photo. Null fields when the image cannot be read (it is listed in <paramref name="skipped"/>).
    /// </summary>
    private async Task<(ImageSamples? Samples, string? Hash, float[]? Regions)> EmbedTrainingImageAsync(
        ManifestEntry entry, FeatureExtractor extractor, TrainingStatistics statistics, List<string> skipped, CancellationToken cancellationToken)
    {
        var photo = entry.Region is not null || entry.HumanLoopName is not null;
        if (!photo && entry.ETag is { } known && _cache.TryRead(extractor.CacheRecipe, known) is { } cached)
        {
            statistics.CacheHits++;
            return (cached, known, null);
        }

        try
        {
            if (photo)
            {
                var (photoHash, photoRegions) = await DetectionFeaturesOfAsync(entry, extractor, cancellationToken, statistics);
                return (null, photoHash, photoRegions);
            }

            var bytes = await _store.ReadAllBytesAsync(entry.Key, cancellationToken);
#pragma warning disable CA5351 // MD5 is the object's ETag, an identity of content.
            var hash = entry.ETag ?? Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
            if (_cache.TryRead(extractor.CacheRecipe, hash) is { } byContent)
            {
                statistics.CacheHits++;
                return (byContent, hash, null);
            }

            return await Task.Run(
                () =>
                {
                    using var image = ImagePixels.Decode(bytes);
                    if (Augmenter.BorderRoughness(image) < FeatureExtractor.PhotoBorderRoughness)
                    {
                        var samples = extractor.ExtractForTraining(image, hash);
                        _cache.Write(extractor.CacheRecipe, hash, samples);
                        statistics.Embedded++;
                        return ((ImageSamples?)samples, (string?)hash, (float[]?)null);
                    }

                    return (null, hash, DetectionFeaturesOf(image, hash, extractor, statistics));
                },
                cancellationToken);
        }
        catch (Exception e) when (e is InvalidImageException or ImageTooLargeException or ObjectNotFoundException)
        {
            skipped.Add($"{entry.Key} ({e.Message})");
            return (null, null, null);
        }
    }

    /// <summary>Samples the training set always has the same of (backgrounds, generated logos), from the cache when there.</summary>
    private async Task<ImageSamples> CachedAsync(string key, Func<ImageSamples> extract, CancellationToken cancellationToken)
    {
        var recipe = Extractor.CacheRecipe;
        if (_cache.TryRead(recipe, key) is { } cached)
        {
            return cached;
        }

        var samples = await Task.Run(extract, cancellationToken);
        _cache.Write(recipe, key, samples);
        return samples;
    }

    /// <summary>
    /// Finds where each photo shows its label and which regions of the rejected images look most like one. A head fitted
    /// on the clean shots (and the generated logos) scores every region; a photo without a reviewer's box is learnt from
    /// the region that matches its label's evidence best (the whole photo when the label has no clean shot), and each
    /// rejected image contributes its best-scoring regions as hard negatives.
    /// </summary>
    private List<(ManifestEntry Entry, ImageSamples Samples)> LocatePhotos(
        string[] labels,
        Dictionary<string, int> labelIndex,
        List<TrainingImage> cleanImages,
        List<ImageSamples> backgrounds,
        List<ImageSamples> foreign,
        List<(ManifestEntry Entry, string Hash, float[] Regions)> photos,
        List<(string Hash, float[] Regions)> rejected,
        FeatureExtractor extractor,
        out List<ImageSamples> hardNegatives)
    {
        var needsHead = rejected.Count > 0 || photos.Count > 0;
        var first = needsHead && cleanImages.Count > 0 ? HeadTrainer.Fit(labels, cleanImages, backgrounds, foreign, _options.ColourWeight) : null;
        if (first is not null)
        {
            first.CandidateRegions = LocatingCandidates;
        }

        // Each image on its own, on every core, in order.
        var boxes = extractor.DetectionBoxes;
        var located = photos.AsParallel().AsOrdered().Select(photo =>
        {
            var (entry, hash, regions) = photo;
            var label = labelIndex[entry.Label];
            var ranked = first is null
                ? []
                : first.Candidates(regions, onlyLabel: label)[label]
                    .OrderByDescending(c => c.Score(first.SimilarityWeight, first.MarginWeight, first.NegativeWeight))
                    .ToList();
            var region = entry.Region ?? (ranked.Count > 0 ? Locate(ranked, boxes) : new BoundingBox(0, 0, 1, 1));

            // The regions off the subject that look most like the label teach, as background, what it is not.
            var confusable = ranked.Where(c => FeatureExtractor.IsOff(boxes[c.Region], region)).Take(HardBackgroundsPerPhoto).Select(c => c.Region).ToList();
            return (entry, extractor.PhotoSamples(regions, region, confusable, hash));
        }).ToList();

        hardNegatives = [.. rejected.AsParallel().AsOrdered().Select(image =>
        {
            var (hash, regions) = image;
            var hard = first is null
                ? []
                : first.Candidates(regions)
                    .SelectMany(c => c)
                    .OrderByDescending(c => c.Score(first.SimilarityWeight, first.MarginWeight, first.NegativeWeight))
                    .Select(c => c.Region)
                    .Distinct()
                    .Take(HardNegativesPerRejectedImage)
                    .ToList();
            return FeatureExtractor.RejectedSamples(regions, hard, hash);
        })];

        return located;
    }

    /// <summary>
    /// The region of a photo that shows its label: the box of the best-scoring region, grown to the boxes of the next
    /// best ones that overlap it, since the best is often a part of the subject.
    /// </summary>
    private static BoundingBox Locate(List<OpenSetHead.Candidate> ranked, BoundingBox[] boxes)
    {
        var best = boxes[ranked[0].Region];
        var (left, top, right, bottom) = (best.Left, best.Top, best.Left + best.Width, best.Top + best.Height);
        foreach (var candidate in ranked.Skip(1).Take(LocatingUnion - 1))
        {
            var box = boxes[candidate.Region];
            if (!FeatureExtractor.IsOff(box, best))
            {
                (left, top) = (Math.Min(left, box.Left), Math.Min(top, box.Top));
                (right, bottom) = (Math.Max(right, box.Left + box.Width), Math.Max(bottom, box.Top + box.Height));
            }
        }

        return new BoundingBox(left, top, right - left, bottom - top);
    }

    /// <summary>Training images with their label's index and a validation fold, alternating by content hash within each label.</summary>
    private static List<TrainingImage> TrainingImages(IEnumerable<(ManifestEntry Entry, ImageSamples Samples, bool Photo)> embedded, Dictionary<string, int> labelIndex) =>
        [.. embedded
            .GroupBy(e => e.Entry.Label, StringComparer.Ordinal)
            .SelectMany(g => g.OrderBy(e => e.Entry.ETag, StringComparer.Ordinal).Select((e, i) => new TrainingImage(labelIndex[e.Entry.Label], i % 2, e.Samples, e.Photo)))];

    /// <summary>An image's detection regions by content hash: from the cache when detection or an earlier training saw it.</summary>
    private async Task<(string Hash, float[] Regions)> DetectionFeaturesOfAsync(
        ManifestEntry entry, FeatureExtractor extractor, CancellationToken cancellationToken, TrainingStatistics? statistics = null)
    {
        if (entry.ETag is { } known && _cache.TryRead(DetectionCacheRecipe(extractor), known) is { } cached)
        {
            if (statistics is not null)
            {
                statistics.CacheHits++;
            }

            return (known, cached.Embeddings);
        }

        var bytes = await _store.ReadAllBytesAsync(entry.Key, cancellationToken);
#pragma warning disable CA5351 // MD5 is the object's ETag, an identity of content.
        var hash = entry.ETag ?? Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
        var regions = await Task.Run(
            () =>
            {
                using var image = ImagePixels.Decode(bytes);
                return DetectionFeaturesOf(image, hash, extractor, statistics);
            },
            cancellationToken);
        return (hash, regions);
    }

    /// <summary>A decoded image's detection regions: from the cache by its content hash, or embedded and kept there.</summary>
    private float[] DetectionFeaturesOf(SkiaSharp.SKImage image, string hash, FeatureExtractor extractor, TrainingStatistics? statistics)
    {
        var recipe = DetectionCacheRecipe(extractor);
        if (_cache.TryRead(recipe, hash) is { } cached)
        {
            if (statistics is not null)
            {
                statistics.CacheHits++;
            }

            return cached.Embeddings;
        }

        var regions = extractor.ExtractForDetection(image);
        KeepDetectionRegions(recipe, hash, regions);
        if (statistics is not null)
        {
            statistics.Embedded++;
        }

        return regions;
    }

    /// <summary>A test image's region features, from the cache when this content was detected or evaluated before.</summary>
    private async Task<float[]> DetectionFeaturesAsync(ManifestEntry entry, FeatureExtractor extractor, CancellationToken cancellationToken) =>
        (await DetectionFeaturesOfAsync(entry, extractor, cancellationToken)).Regions;

    private Task<IReadOnlyList<ManifestEntry>> ReadManifestAsync(string key, string what, CancellationToken cancellationToken) =>
        ReadManifestAsync(key, what, TrainingManifest.ReadAsync, cancellationToken);

    private async Task<IReadOnlyList<ManifestEntry>> ReadManifestAsync(
        string key, string what, Func<IObjectStore, string, CancellationToken, Task<IReadOnlyList<ManifestEntry>>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await read(_store, key, cancellationToken);
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

    /// <summary>Training images learnt by region (photos), of <see cref="TrainingImages"/>.</summary>
    public int Photos { get; set; }

    /// <summary>Rejected images learnt as hard negatives.</summary>
    public int RejectedImages { get; set; }

    public long BackboneCalls { get; set; }

    public TimeSpan EmbeddingTime { get; set; }

    /// <summary>Time inside backbone calls (of this training, unless another ran at the same time).</summary>
    public TimeSpan BackboneTime { get; set; }

    public TimeSpan FitTime { get; set; }

    public TimeSpan EvaluationTime { get; set; }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{TrainingImages} images ({Photos} photos), {RejectedImages} rejected, {Embedded} embedded, {CacheHits} cached, {BackboneCalls} backbone calls ({BackboneTime.TotalSeconds:0.0} s); embed {EmbeddingTime.TotalSeconds:0.0} s, fit {FitTime.TotalSeconds:0.0} s, evaluate {EvaluationTime.TotalSeconds:0.0} s");
}
