using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow.Handlers;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// The training set at a glance: its labels with their image counts, and how many images the running version has not
/// seen, counted by content as the training check counts them (a renamed image is not new, a copy counts once more).
/// When the model learns from images answered "none of the above" (<c>images_rejected/</c>), those the running version
/// was not trained with count too.
/// </summary>
/// <param name="Labels">Each label with its number of images, by label.</param>
/// <param name="Total">Every training image (in label folders).</param>
/// <param name="Untrained">
/// What counts toward Minimum-Untrained-Images: the labelled images the running version did not see, plus
/// <paramref name="UntrainedRejected"/>.
/// </param>
/// <param name="MinimumUntrainedImages">Minimum-Untrained-Images: how many untrained images start the next training.</param>
/// <param name="Rejected">Every image answered "none of the above" (under <c>images_rejected/</c>).</param>
/// <param name="UntrainedRejected">Of those, the ones the running version was not trained with; 0 when the model does not learn from them.</param>
/// <param name="LearnsFromRejectedImages">Whether the model learns from rejected images, so that they count.</param>
public sealed record TrainingSetSummary(
    IReadOnlyList<LabelImageCount> Labels,
    int Total,
    int Untrained,
    int MinimumUntrainedImages,
    int Rejected = 0,
    int UntrainedRejected = 0,
    bool LearnsFromRejectedImages = false)
{
    /// <summary>Reads the summary from the bucket and the system state.</summary>
    public static async Task<TrainingSetSummary> DescribeAsync(
        IObjectStore store,
        IParameterStore parameters,
        RejectedImages rejected,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(rejected);
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        var images = await TrainingSet.ListAsync(store, cancellationToken);
        var trained = await TrainingSet.TrainedSetAsync(store, SystemState.Parse(settings.ForSystemUseOnly), cancellationToken);
        var negatives = await rejected.DescribeAsync(cancellationToken);
        return new TrainingSetSummary(
            [.. images.GroupBy(i => i.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new LabelImageCount(g.Key, g.Count()))],
            images.Count,
            TrainingSet.CountUntrained(images.Select(i => (i.Label, i.ETag)), trained) + negatives.Untrained,
            settings.MinimumUntrainedImages,
            negatives.Images.Count,
            negatives.Untrained,
            negatives.LearnsFromRejectedImages);
    }
}

/// <summary>One label and how many training images it has.</summary>
public sealed record LabelImageCount(string Label, int Count);
