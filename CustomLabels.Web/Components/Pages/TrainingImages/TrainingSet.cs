using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;

namespace CustomLabels.Web.Components.Pages.TrainingImages;

/// <summary>One image of the training set.</summary>
public sealed record TrainingImage(string Key, string Label, string FileName, long Size, DateTimeOffset LastModified, bool IsNew);

/// <summary>One label with its image counts.</summary>
public sealed record LabelSummary(string Label, int Count, int NewCount);

/// <summary>
/// The training set as the dashboard shows it: labels with counts, the images answered "none of the above", and which
/// images the running version was not trained on (the images the training check counts against Minimum-Untrained-Images).
/// </summary>
public sealed class TrainingSet
{
    private static readonly RejectedImageSet NoRejected = new([], new HashSet<string>(), false);

    private readonly Dictionary<string, List<TrainingImage>> _byLabel;
    private readonly RejectedImageSet _rejected;

    private TrainingSet(Dictionary<string, List<TrainingImage>> byLabel, RejectedImageSet rejected)
    {
        _byLabel = byLabel;
        _rejected = rejected;
        Labels = [.. byLabel.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
            .Select(p => new LabelSummary(p.Key, p.Value.Count, p.Value.Count(i => i.IsNew)))];
        Total = Labels.Sum(l => l.Count);
        NewCount = Labels.Sum(l => l.NewCount);
    }

    public IReadOnlyList<LabelSummary> Labels { get; }

    public int Total { get; }

    /// <summary>How many labelled images are new since the last training.</summary>
    public int NewCount { get; }

    /// <summary>The images answered "none of the above", in key order.</summary>
    public IReadOnlyList<RejectedImage> Rejected => _rejected.Images;

    /// <summary>Whether the model learns from rejected images, so that the new ones count toward training.</summary>
    public bool LearnsFromRejectedImages => _rejected.LearnsFromRejectedImages;

    /// <summary>How many rejected images the running version has not learnt from and count toward training (0 when the model does not learn from them).</summary>
    public int NewRejectedCount => _rejected.Untrained;

    /// <summary>What the training check counts against Minimum-Untrained-Images: new labelled images and new rejected ones.</summary>
    public int UntrainedCount => NewCount + NewRejectedCount;

    /// <summary>Minimum-Untrained-Images when the set was loaded with the parameters; null otherwise.</summary>
    public int? MinimumUntrainedImages { get; private init; }

    public IReadOnlyList<TrainingImage> ImagesOf(string label) =>
        _byLabel.TryGetValue(label, out var images) ? images : [];

    /// <summary>True when the running version has not been trained with this rejected image.</summary>
    public bool IsNew(RejectedImage image) => _rejected.UntrainedKeys.Contains(image?.Key ?? string.Empty);

    /// <summary>Lists the training set and the rejected images in the bucket and marks what the running version was not trained on.</summary>
    public static async Task<TrainingSet> LoadAsync(IObjectStore store, IParameterStore parameters, RejectedImages rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        ArgumentNullException.ThrowIfNull(parameters);
        var trained = await TrainedImages.ReadTrainedAsync(store, parameters, cancellationToken);
        var set = await LoadAsync(store, trained, await rejected.DescribeAsync(cancellationToken), cancellationToken);
        return new TrainingSet(set._byLabel, set._rejected)
        {
            MinimumUntrainedImages = (await parameters.GetSettingsAsync(cancellationToken)).MinimumUntrainedImages,
        };
    }

    /// <summary>Lists the training set in the bucket and marks what <paramref name="trained"/> (label, ETag) does not cover.</summary>
    public static Task<TrainingSet> LoadAsync(IObjectStore store, IReadOnlyList<(string Label, string ETag)> trained, CancellationToken cancellationToken) =>
        LoadAsync(store, trained, NoRejected, cancellationToken);

    /// <summary>
    /// Lists the training set in the bucket, marks what <paramref name="trained"/> (label, ETag) does not cover, and
    /// shows <paramref name="rejected"/> beside it.
    /// </summary>
    public static async Task<TrainingSet> LoadAsync(
        IObjectStore store,
        IReadOnlyList<(string Label, string ETag)> trained,
        RejectedImageSet rejected,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        var listed = new List<(ObjectInfo Info, string Label)>();
        await foreach (var info in store.ListAllAsync(BucketLayout.TrainingImages, cancellationToken))
        {
            if (BucketLayout.LabelOf(info.Key) is { } label && !info.Key[(info.Key.LastIndexOf('/') + 1)..].StartsWith('.'))
            {
                listed.Add((info, label));
            }
        }

        var untrained = TrainedImages.UntrainedKeys(listed.Select(l => (l.Info.Key, l.Label, l.Info.ETag)), trained);
        var byLabel = new Dictionary<string, List<TrainingImage>>(StringComparer.Ordinal);
        foreach (var (info, label) in listed)
        {
            if (!byLabel.TryGetValue(label, out var images))
            {
                byLabel[label] = images = [];
            }

            var fileName = info.Key[(BucketLayout.TrainingImages.Length + label.Length + 1)..];
            images.Add(new TrainingImage(info.Key, label, fileName, info.Size, info.LastModified, untrained.Contains(info.Key)));
        }

        return new TrainingSet(byLabel, rejected);
    }
}
