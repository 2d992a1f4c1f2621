using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow.Handlers;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// Which training images the running version has not been trained on, counted as the training check counts them
/// (Minimum-Untrained-Images): by label and content (ETag) against the manifests of the trained image set.
/// </summary>
public static class TrainedImages
{
    /// <summary>
    /// The (label, ETag) of every image in the running version's training and test manifests (its trained image set);
    /// empty before the first deployment.
    /// </summary>
    public static async Task<IReadOnlyList<(string Label, string ETag)>> ReadTrainedAsync(
        IObjectStore store,
        IParameterStore parameters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var state = await StateAsync(parameters, cancellationToken);
        return await TrainingSet.TrainedSetAsync(store, state, cancellationToken);
    }

    /// <summary>
    /// The ETag of every image in the negatives manifest the running version was trained with (images answered "none of
    /// the above"); empty when it was trained with none. A line without an ETag takes that of the object it names now.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ReadTrainedRejectedAsync(
        IObjectStore store,
        IParameterStore parameters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var state = await StateAsync(parameters, cancellationToken);
        if (state.TrainedNegativesManifestKey is not { } manifest || await store.HeadAsync(manifest, cancellationToken) is null)
        {
            return [];
        }

        var trained = new List<string>();
        foreach (var entry in await TrainingManifest.ReadNegativesAsync(store, manifest, cancellationToken))
        {
            if ((entry.ETag ?? (await store.HeadAsync(entry.Key, cancellationToken))?.ETag) is { } etag)
            {
                trained.Add(etag);
            }
        }

        return trained;
    }

    /// <summary>The keys of the images in <paramref name="current"/> (key, label, ETag) that <paramref name="trained"/> does not cover.</summary>
    public static IReadOnlySet<string> UntrainedKeys(
        IEnumerable<(string Key, string Label, string ETag)> current,
        IEnumerable<(string Label, string ETag)> trained) => TrainingSet.UntrainedKeys(current, trained);

    private static async Task<SystemState> StateAsync(IParameterStore parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return SystemState.Parse((await parameters.GetAsync(ParameterNames.ForSystemUseOnly, cancellationToken)).Value);
    }
}
