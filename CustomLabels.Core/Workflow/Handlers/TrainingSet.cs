using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>One training image: its key, its label (the folder) and its content's identity (ETag).</summary>
internal sealed record TrainingImage(string Key, string Label, string ETag);

/// <summary>
/// The training set under <c>images_labeled_by_folder/</c>, its Ground Truth manifest, and how many of its images a
/// trained version has not seen. Images are compared by content and label, as a multiset of (label, ETag): a renamed
/// image is not new, a removed one is not new, a copy of an image counts once more, and an image moved to another
/// label is new (it teaches something else).
/// </summary>
internal static class TrainingSet
{
    /// <summary>The Ground Truth attribute name of the label in manifest lines.</summary>
    public const string Attribute = "customlabels";

    /// <summary>Every training image, in key order.</summary>
    public static async Task<IReadOnlyList<TrainingImage>> ListAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        var images = new List<TrainingImage>();
        await foreach (var info in store.ListAllAsync(BucketLayout.TrainingImages, cancellationToken))
        {
            if (BucketLayout.LabelOf(info.Key) is { } label && !info.Key[(info.Key.LastIndexOf('/') + 1)..].StartsWith('.'))
            {
                images.Add(new TrainingImage(info.Key, label, info.ETag));
            }
        }

        return images;
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

    /// <summary>Writes the manifest of <paramref name="images"/>: one Ground Truth image-classification line per image.</summary>
    public static async Task WriteManifestAsync(
        IObjectStore store,
        string manifestKey,
        string bucket,
        IReadOnlyList<TrainingImage> images,
        DateTimeOffset createdAt,
        CancellationToken cancellationToken)
    {
        var labels = images.Select(i => i.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var created = createdAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var builder = new StringBuilder();
        foreach (var image in images)
        {
            var line = new JsonObject
            {
                ["source-ref"] = $"s3://{bucket}/{image.Key}",
                ["etag"] = image.ETag,
                [Attribute] = labels.IndexOf(image.Label),
                [$"{Attribute}-metadata"] = new JsonObject
                {
                    ["confidence"] = 1,
                    ["job-name"] = $"labeling-job/{Attribute}",
                    ["class-name"] = image.Label,
                    ["human-annotated"] = "yes",
                    ["creation-date"] = created,
                    ["type"] = "groundtruth/image-classification",
                },
            };
            builder.Append(line.ToJsonString()).Append('\n');
        }

        await store.PutBytesAsync(manifestKey, Encoding.UTF8.GetBytes(builder.ToString()), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The (label, ETag) of every line of a manifest. A line without an <c>etag</c> takes the ETag of the object its
    /// <c>source-ref</c> names now, if there still is one.
    /// </summary>
    public static async Task<IReadOnlyList<(string Label, string ETag)>> ReadManifestAsync(
        IObjectStore store,
        string manifestKey,
        CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(await store.ReadAllBytesAsync(manifestKey, cancellationToken));
        var entries = new List<(string, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            JsonObject? node;
            try
            {
                node = JsonNode.Parse(line) as JsonObject;
            }
            catch (JsonException e)
            {
                throw new FormatException($"The manifest '{manifestKey}' has a line that is not JSON: {e.Message}", e);
            }

            var sourceKey = KeyOfSourceRef(node?["source-ref"]?.GetValue<string>());
            var label = node?.Select(p => (p.Value as JsonObject)?["class-name"]).OfType<JsonValue>().Select(v => v.GetValue<string>()).FirstOrDefault()
                        ?? (sourceKey is null ? null : BucketLayout.LabelOf(sourceKey));
            var etag = node?["etag"]?.GetValue<string>();
            if (etag is null && sourceKey is not null)
            {
                etag = (await store.HeadAsync(sourceKey, cancellationToken))?.ETag;
            }

            if (label is not null && etag is not null)
            {
                entries.Add((label, etag));
            }
        }

        return entries;
    }

    private static string? KeyOfSourceRef(string? sourceRef)
    {
        if (sourceRef is null || !sourceRef.StartsWith("s3://", StringComparison.Ordinal))
        {
            return sourceRef;
        }

        var slash = sourceRef.IndexOf('/', 5);
        return slash < 0 ? null : sourceRef[(slash + 1)..];
    }
}
