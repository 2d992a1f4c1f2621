using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow.Handlers;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// The training set at a glance: its labels with their image counts, and how many images the running version has not
/// seen, counted by content as the training check counts them (a renamed image is not new, a copy counts once more).
/// </summary>
/// <param name="Labels">Each label with its number of images, by label.</param>
/// <param name="Total">Every training image.</param>
/// <param name="Untrained">Images the last successful training did not see.</param>
/// <param name="MinimumUntrainedImages">Minimum-Untrained-Images: how many untrained images start the next training.</param>
public sealed record TrainingSetSummary(IReadOnlyList<LabelImageCount> Labels, int Total, int Untrained, int MinimumUntrainedImages)
{
    /// <summary>Reads the summary from the bucket and the system state.</summary>
    public static async Task<TrainingSetSummary> DescribeAsync(IObjectStore store, IParameterStore parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(parameters);
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        var images = await TrainingSet.ListAsync(store, cancellationToken);
        var trained = await TrainingSet.TrainedSetAsync(store, SystemState.Parse(settings.ForSystemUseOnly), cancellationToken);
        return new TrainingSetSummary(
            [.. images.GroupBy(i => i.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new LabelImageCount(g.Key, g.Count()))],
            images.Count,
            TrainingSet.CountUntrained(images.Select(i => (i.Label, i.ETag)), trained),
            settings.MinimumUntrainedImages);
    }
}

/// <summary>One label and how many training images it has.</summary>
public sealed record LabelImageCount(string Label, int Count);
