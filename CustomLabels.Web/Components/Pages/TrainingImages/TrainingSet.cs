using CustomLabels.Core.Parameters;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Storage;

namespace CustomLabels.Web.Components.Pages.TrainingImages;

/// <summary>One image of the training set.</summary>
public sealed record TrainingImage(string Key, string Label, string FileName, long Size, DateTimeOffset LastModified, bool IsNew);

/// <summary>One label with its image counts.</summary>
public sealed record LabelSummary(string Label, int Count, int NewCount);

/// <summary>
/// The training set as the dashboard shows it: labels with counts, and which images the running version was not
/// trained on (the images the training check counts against Minimum-Untrained-Images).
/// </summary>
public sealed class TrainingSet
{
    private readonly Dictionary<string, List<TrainingImage>> _byLabel;

    private TrainingSet(Dictionary<string, List<TrainingImage>> byLabel)
    {
        _byLabel = byLabel;
        Labels = [.. byLabel.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
            .Select(p => new LabelSummary(p.Key, p.Value.Count, p.Value.Count(i => i.IsNew)))];
        Total = Labels.Sum(l => l.Count);
        NewCount = Labels.Sum(l => l.NewCount);
    }

    public IReadOnlyList<LabelSummary> Labels { get; }

    public int Total { get; }

    /// <summary>How many images are new since the last training.</summary>
    public int NewCount { get; }

    public IReadOnlyList<TrainingImage> ImagesOf(string label) =>
        _byLabel.TryGetValue(label, out var images) ? images : [];

    /// <summary>Lists the training set in the bucket and marks what the running version was not trained on.</summary>
    public static async Task<TrainingSet> LoadAsync(IObjectStore store, IParameterStore parameters, CancellationToken cancellationToken) =>
        await LoadAsync(store, await TrainedImages.ReadTrainedAsync(store, parameters, cancellationToken), cancellationToken);

    /// <summary>Lists the training set in the bucket and marks what <paramref name="trained"/> (label, ETag) does not cover.</summary>
    public static async Task<TrainingSet> LoadAsync(IObjectStore store, IReadOnlyList<(string Label, string ETag)> trained, CancellationToken cancellationToken)
    {
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

        return new TrainingSet(byLabel);
    }
}
