using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;

namespace CustomLabels.Web.Components.Pages.TrainingImages;

/// <summary>One image of the training set.</summary>
public sealed record TrainingImage(string Key, string Label, string FileName, long Size, DateTimeOffset LastModified, bool IsNew);

/// <summary>One label with its image counts.</summary>
public sealed record LabelSummary(string Label, int Count, int NewCount);

/// <summary>
/// The training set as the dashboard shows it: labels with counts, and which images are new since the last
/// successful training (written after that version was created).
/// </summary>
public sealed class TrainingSet
{
    private static readonly ProjectVersionStatus[] Trained =
    [
        ProjectVersionStatus.TrainingCompleted, ProjectVersionStatus.Starting, ProjectVersionStatus.Running,
        ProjectVersionStatus.Stopping, ProjectVersionStatus.Stopped, ProjectVersionStatus.Failed,
    ];

    private readonly Dictionary<string, List<TrainingImage>> _byLabel;

    private TrainingSet(Dictionary<string, List<TrainingImage>> byLabel, DateTimeOffset? lastTrainedAt)
    {
        _byLabel = byLabel;
        LastTrainedAt = lastTrainedAt;
        Labels = [.. byLabel.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase)
            .Select(p => new LabelSummary(p.Key, p.Value.Count, p.Value.Count(i => i.IsNew)))];
        Total = Labels.Sum(l => l.Count);
        NewCount = Labels.Sum(l => l.NewCount);
    }

    public IReadOnlyList<LabelSummary> Labels { get; }

    public int Total { get; }

    public int NewCount { get; }

    /// <summary>When the last successful training was asked for, or null when no version has trained.</summary>
    public DateTimeOffset? LastTrainedAt { get; }

    public IReadOnlyList<TrainingImage> ImagesOf(string label) =>
        _byLabel.TryGetValue(label, out var images) ? images : [];

    /// <summary>When the last version that trained successfully was created, from the model's versions.</summary>
    public static DateTimeOffset? LastTrainingOf(IEnumerable<ProjectVersion> versions) =>
        versions.Where(v => Trained.Contains(v.Status)).Select(v => (DateTimeOffset?)v.CreationTimestamp).Max();

    /// <summary>Lists the training set in the bucket.</summary>
    public static async Task<TrainingSet> LoadAsync(IObjectStore store, DateTimeOffset? lastTrainedAt, CancellationToken cancellationToken)
    {
        var byLabel = new Dictionary<string, List<TrainingImage>>(StringComparer.Ordinal);
        await foreach (var info in store.ListAllAsync(BucketLayout.TrainingImages, cancellationToken))
        {
            if (BucketLayout.LabelOf(info.Key) is not { } label)
            {
                continue;
            }

            if (!byLabel.TryGetValue(label, out var images))
            {
                byLabel[label] = images = [];
            }

            var fileName = info.Key[(BucketLayout.TrainingImages.Length + label.Length + 1)..];
            images.Add(new TrainingImage(info.Key, label, fileName, info.Size, info.LastModified, lastTrainedAt is null || info.LastModified > lastTrainedAt));
        }

        return new TrainingSet(byLabel, lastTrainedAt);
    }
}
