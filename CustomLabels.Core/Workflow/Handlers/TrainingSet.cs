using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>One training image: its key, its label (the folder) and its content's identity (ETag).</summary>
internal sealed record TrainingImage(string Key, string Label, string ETag);

/// <summary>
/// The training set under <c>images_labeled_by_folder/</c>, and how many of its images a trained version has not
/// seen. Images are compared by content and label, as a multiset of (label, ETag) against the version's manifest
/// (<see cref="TrainingManifest"/>): a renamed image is not new, a removed one is not new, a second copy of an image
/// counts once more, and an image moved to another label is new (it teaches something else).
/// </summary>
internal static class TrainingSet
{
    /// <summary>Every training image, in key order.</summary>
    public static async Task<IReadOnlyList<TrainingImage>> ListAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        var images = new List<TrainingImage>();
        await foreach (var info in store.ListAllAsync(BucketLayout.TrainingImages, cancellationToken))
        {
            if (BucketLayout.LabelOf(info.Key) is { } label)
            {
                images.Add(new TrainingImage(info.Key, label, info.ETag));
            }
        }

        return images;
    }

    /// <summary>
    /// The (label, ETag) of every image a manifest lists. A line without an ETag takes the ETag of the object its
    /// <c>source-ref</c> names now, if there still is one.
    /// </summary>
    public static async Task<IReadOnlyList<(string Label, string ETag)>> TrainedAsync(IObjectStore store, string manifestKey, CancellationToken cancellationToken)
    {
        var trained = new List<(string, string)>();
        foreach (var entry in await TrainingManifest.ReadAsync(store, manifestKey, cancellationToken))
        {
            var etag = entry.ETag ?? (await store.HeadAsync(entry.Key, cancellationToken))?.ETag;
            if (etag is not null)
            {
                trained.Add((entry.Label, etag));
            }
        }

        return trained;
    }

    /// <summary>
    /// The running version's trained image set: the (label, ETag) of every image of its training manifest and of its
    /// test manifest (both in <paramref name="state"/>), the ones that still exist; empty before the first deployment.
    /// </summary>
    public static async Task<IReadOnlyList<(string Label, string ETag)>> TrainedSetAsync(IObjectStore store, SystemState state, CancellationToken cancellationToken)
    {
        var trained = new List<(string Label, string ETag)>();
        foreach (var manifest in new[] { state.TrainedManifestKey, state.TrainedTestManifestKey }.Distinct(StringComparer.Ordinal))
        {
            if (manifest is not null && await store.HeadAsync(manifest, cancellationToken) is not null)
            {
                trained.AddRange(await TrainedAsync(store, manifest, cancellationToken));
            }
        }

        return trained;
    }

    /// <summary>How many images of <paramref name="current"/> are not in <paramref name="trained"/>, counted as multisets.</summary>
    public static int CountUntrained(IEnumerable<(string Label, string ETag)> current, IEnumerable<(string Label, string ETag)> trained)
    {
        var remaining = new Dictionary<(string, string), int>();
        foreach (var item in trained)
        {
            remaining[item] = remaining.GetValueOrDefault(item) + 1;
        }

        var untrained = 0;
        foreach (var item in current)
        {
            if (remaining.GetValueOrDefault(item) > 0)
            {
                remaining[item]--;
            }
            else
            {
                untrained++;
            }
        }

        return untrained;
    }

    /// <summary>
    /// The keys of the images of <paramref name="current"/> that <paramref name="trained"/> does not cover, matched as
    /// <see cref="CountUntrained"/> counts them: by (label, ETag) as multisets, in the order given.
    /// </summary>
    public static IReadOnlySet<string> UntrainedKeys(IEnumerable<(string Key, string Label, string ETag)> current, IEnumerable<(string Label, string ETag)> trained)
    {
        var remaining = new Dictionary<(string, string), int>();
        foreach (var item in trained)
        {
            remaining[item] = remaining.GetValueOrDefault(item) + 1;
        }

        var untrained = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, label, etag) in current)
        {
            if (remaining.GetValueOrDefault((label, etag)) > 0)
            {
                remaining[(label, etag)]--;
            }
            else
            {
                untrained.Add(key);
            }
        }

        return untrained;
    }
}
