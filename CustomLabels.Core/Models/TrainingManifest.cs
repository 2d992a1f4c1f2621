using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Models;

/// <summary>One line of a training manifest: an image, its label and its content hash.</summary>
/// <param name="Key">The image's key in the bucket.</param>
/// <param name="Label">The label (the class name).</param>
/// <param name="ClassIndex">The label's class index in the manifest.</param>
/// <param name="ETag">The image's content hash (the object's ETag) when the manifest was written; null when absent.</param>
/// <param name="HumanLoopName">
/// The human loop whose answer put the image in the training set (a photo a reviewer labelled), from the object's
/// <see cref="TrainingManifest.HumanLoopMetadataKey"/> metadata; null for an uploaded image.
/// </param>
/// <param name="Region">
/// The region of the image that shows the label, when one is known (a reviewer's box, from the object's
/// <see cref="BoundingBox.MetadataKey"/> metadata); null for a clean shot or when none was given.
/// </param>
public sealed record ManifestEntry(string Key, string Label, int ClassIndex, string? ETag, BoundingBox? Region = null, string? HumanLoopName = null);

/// <summary>
/// Ground Truth image-classification manifests (JSON Lines), as Rekognition Custom Labels reads them: per line a
/// <c>source-ref</c> (<c>s3://&lt;bucket&gt;/&lt;key&gt;</c>), the class index under the attribute name, and its
/// <c>-metadata</c> (<c>class-name</c>, <c>confidence</c>, <c>type</c>, <c>job-name</c>, <c>human-annotated</c>,
/// <c>creation-date</c>). Each line also carries the image's content hash as <c>customlabels-etag</c>, so that the
/// images a version was trained on can be counted by content.
/// </summary>
public static class TrainingManifest
{
    /// <summary>The label attribute's name.</summary>
    public const string AttributeName = "customlabels";

    /// <summary>The extra field that holds each image's content hash.</summary>
    public const string ETagField = "customlabels-etag";

    /// <summary>The extra field that holds the region showing the label (<c>left,top,width,height</c>), when known.</summary>
    public const string RegionField = "customlabels-region";

    /// <summary>The object metadata key, and the extra manifest field, that name the human loop whose answer added the image.</summary>
    public const string HumanLoopMetadataKey = "customlabels-human-loop";

    /// <summary>Another field name for the content hash that manifests written by other tools may use.</summary>
    public const string PlainETagField = "etag";

    /// <summary>The bucket named in <c>source-ref</c> when none is given (the embedded bucket).</summary>
    public const string DefaultBucket = "customlabels";

    private const string JobName = "labeling-job/customlabels-images-labeled-by-folder";

    /// <summary>The manifest key of a version: <c>manifests/&lt;version&gt;.manifest</c>.</summary>
    public static string KeyFor(string versionName) =>
        $"{BucketLayout.Manifests}{ObjectKey.ValidateSegment(versionName + ".manifest", "version name")}";

    /// <summary>The negatives manifest key of a version: <c>manifests/&lt;version&gt;.negatives.manifest</c>.</summary>
    public static string NegativesKeyFor(string versionName) =>
        $"{BucketLayout.Manifests}{ObjectKey.ValidateSegment(versionName + ".negatives.manifest", "version name")}";

    /// <summary>The test manifest key of a version: <c>manifests/&lt;version&gt;.test.manifest</c>.</summary>
    public static string TestKeyFor(string versionName) =>
        $"{BucketLayout.Manifests}{ObjectKey.ValidateSegment(versionName + ".test.manifest", "version name")}";

    /// <summary>
    /// Writes a manifest of every image under <paramref name="sourcePrefix"/> (by default the training set,
    /// <c>images_labeled_by_folder/</c>), labelled by folder, to <paramref name="manifestKey"/> (by default
    /// <see cref="KeyFor"/> of the version). Objects not directly in a label folder are left out.
    /// </summary>
    /// <returns>The manifest's entries, in key order.</returns>
    public static async Task<IReadOnlyList<ManifestEntry>> WriteAsync(
        IObjectStore store,
        string versionName,
        string bucket = DefaultBucket,
        DateTimeOffset? creationDate = null,
        string sourcePrefix = BucketLayout.TrainingImages,
        string? manifestKey = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        manifestKey ??= KeyFor(versionName);
        var entries = await ListAsync(store, sourcePrefix, cancellationToken);
        await WriteEntriesAsync(store, manifestKey, entries, bucket, creationDate, cancellationToken);
        return entries;
    }

    /// <summary>
    /// The entries a manifest of every image under <paramref name="sourcePrefix"/> would hold: each image labelled by
    /// its folder, with its content hash and its region, class indices by label in ordinal order, in key order.
    /// Objects not directly in a label folder are left out.
    /// </summary>
    public static async Task<IReadOnlyList<ManifestEntry>> ListAsync(
        IObjectStore store,
        string sourcePrefix = BucketLayout.TrainingImages,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ObjectKey.ValidatePrefix(sourcePrefix);
        var found = new List<(string Key, string Label, string ETag, BoundingBox? Region, string? Loop)>();
        await foreach (var item in store.ListAllAsync(sourcePrefix, cancellationToken))
        {
            var label = LabelOf(item.Key, sourcePrefix);
            if (label is not null)
            {
                found.Add((item.Key, label, item.ETag, BoundingBox.Of(item.Metadata), item.Metadata.GetValueOrDefault(HumanLoopMetadataKey)));
            }
        }

        var labels = found.Select(f => f.Label).Distinct().Order(StringComparer.Ordinal).ToList();
        return [.. found.Select(f => new ManifestEntry(f.Key, f.Label, labels.IndexOf(f.Label), f.ETag, f.Region, f.Loop))];
    }

    /// <summary>
    /// Writes <paramref name="entries"/> as a manifest to <paramref name="manifestKey"/>, a line per entry with its
    /// class index and class name, its content hash (<see cref="ETagField"/>) and its region (<see cref="RegionField"/>)
    /// when it has one. An empty list writes an empty manifest.
    /// </summary>
    public static async Task WriteEntriesAsync(
        IObjectStore store,
        string manifestKey,
        IEnumerable<ManifestEntry> entries,
        string bucket = DefaultBucket,
        DateTimeOffset? creationDate = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(entries);
        ObjectKey.Validate(manifestKey);
        var date = (creationDate ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        foreach (var entry in entries)
        {
            var line = new JsonObject
            {
                ["source-ref"] = $"s3://{bucket}/{entry.Key}",
                [AttributeName] = entry.ClassIndex,
                [$"{AttributeName}-metadata"] = new JsonObject
                {
                    ["confidence"] = 1,
                    ["job-name"] = JobName,
                    ["class-name"] = entry.Label,
                    ["human-annotated"] = "yes",
                    ["creation-date"] = date,
                    ["type"] = "groundtruth/image-classification",
                },
                [ETagField] = entry.ETag,
            };
            if (entry.Region is { } region)
            {
                line[RegionField] = region.ToMetadata();
            }

            if (entry.HumanLoopName is { } loop)
            {
                line[HumanLoopMetadataKey] = loop;
            }

            text.Append(line.ToJsonString()).Append('\n');
        }

        await store.PutBytesAsync(manifestKey, Encoding.UTF8.GetBytes(text.ToString()), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Writes a negatives manifest: a line per image directly under <paramref name="sourcePrefix"/> (by default
    /// <c>images_rejected/</c>; hidden files left out), each with its <c>source-ref</c> and content hash and no class, to
    /// <paramref name="manifestKey"/>.
    /// </summary>
    /// <returns>The images written, in key order, each with an empty label and class index -1.</returns>
    public static async Task<IReadOnlyList<ManifestEntry>> WriteNegativesAsync(
        IObjectStore store,
        string manifestKey,
        string bucket = DefaultBucket,
        string sourcePrefix = BucketLayout.RejectedImages,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ObjectKey.Validate(manifestKey);
        ObjectKey.ValidatePrefix(sourcePrefix);
        var entries = new List<ManifestEntry>();
        var text = new StringBuilder();
        await foreach (var item in store.ListAllAsync(sourcePrefix, cancellationToken))
        {
            // Only images directly under the prefix, and no hidden files (.DS_Store), as BucketLayout.IsRejectedImage takes them.
            if (item.Key.IndexOf('/', sourcePrefix.Length) >= 0 || item.Key.Length == sourcePrefix.Length || item.Key[sourcePrefix.Length] == '.')
            {
                continue;
            }

            entries.Add(new ManifestEntry(item.Key, string.Empty, -1, item.ETag));
            text.Append(new JsonObject { ["source-ref"] = $"s3://{bucket}/{item.Key}", [ETagField] = item.ETag }.ToJsonString()).Append('\n');
        }

        await store.PutBytesAsync(manifestKey, Encoding.UTF8.GetBytes(text.ToString()), cancellationToken: cancellationToken);
        return entries;
    }

    /// <summary>Reads a negatives manifest (lines with a <c>source-ref</c> and, optionally, a content hash; no class).</summary>
    /// <exception cref="ObjectNotFoundException">No manifest has this key.</exception>
    /// <exception cref="InvalidDataException">A line has no valid <c>source-ref</c>.</exception>
    public static async Task<IReadOnlyList<ManifestEntry>> ReadNegativesAsync(IObjectStore store, string manifestKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var text = Encoding.UTF8.GetString(await store.ReadAllBytesAsync(manifestKey, cancellationToken));
        return ParseLines(text, "Negatives manifest line {0} is not an image reference", (node, sourceRef) =>
            new ManifestEntry(sourceRef, string.Empty, -1, (node[ETagField] ?? node[PlainETagField])?.GetValue<string>()));
    }

    /// <summary>Reads a manifest from the bucket.</summary>
    /// <exception cref="ObjectNotFoundException">No manifest has this key.</exception>
    /// <exception cref="InvalidDataException">A line is not a Ground Truth image-classification entry.</exception>
    public static async Task<IReadOnlyList<ManifestEntry>> ReadAsync(IObjectStore store, string manifestKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var bytes = await store.ReadAllBytesAsync(manifestKey, cancellationToken);
        return Parse(Encoding.UTF8.GetString(bytes));
    }

    /// <summary>
    /// The multiset of content hashes in a manifest: each ETag with how many lines carry it. Lines without one are
    /// left out.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, int>> ReadETagsAsync(IObjectStore store, string manifestKey, CancellationToken cancellationToken = default)
    {
        var entries = await ReadAsync(store, manifestKey, cancellationToken);
        return entries.Where(e => e.ETag is not null)
            .GroupBy(e => e.ETag!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    /// <summary>Parses manifest text (JSON Lines; blank lines are skipped).</summary>
    /// <exception cref="InvalidDataException">A line is not a Ground Truth image-classification entry.</exception>
    public static IReadOnlyList<ManifestEntry> Parse(string text) =>
        ParseLines(text, "Manifest line {0} is not a Ground Truth image-classification entry", (node, sourceRef) =>
        {
            var attribute = node.FirstOrDefault(p => p.Key.EndsWith("-metadata", StringComparison.Ordinal)
                && p.Value?["class-name"] is not null);
            if (attribute.Value is null)
            {
                throw new InvalidDataException("no <attribute>-metadata with a class-name");
            }

            var name = attribute.Key[..^"-metadata".Length];
            var label = attribute.Value["class-name"]!.GetValue<string>();
            var classIndex = node[name]?.GetValue<int>() ?? throw new InvalidDataException($"no class index under '{name}'");
            var etag = (node[ETagField] ?? node[PlainETagField])?.GetValue<string>();
            var region = BoundingBox.FromMetadata(node[RegionField]?.GetValue<string>());
            var loop = node[HumanLoopMetadataKey]?.GetValue<string>();
            return new ManifestEntry(sourceRef, label, classIndex, etag, region, loop);
        });

    /// <summary>
    /// Parses JSON Lines (blank lines skipped): each line's object and its <c>source-ref</c>'s key to <paramref name="entry"/>;
    /// a line that fails is refused with <paramref name="refusal"/> (its <c>{0}</c> the line number) and the reason.
    /// </summary>
    private static List<ManifestEntry> ParseLines(string text, string refusal, Func<JsonObject, string, ManifestEntry> entry)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<ManifestEntry>();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                var node = JsonNode.Parse(line)?.AsObject() ?? throw new InvalidDataException("empty line object");
                var sourceRef = node["source-ref"]?.GetValue<string>() ?? throw new InvalidDataException("no source-ref");
                entries.Add(entry(node, KeyOfSourceRef(sourceRef)));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or InvalidObjectKeyException or InvalidDataException)
            {
                throw new InvalidDataException($"{string.Format(CultureInfo.InvariantCulture, refusal, lineNumber)}: {e.Message}", e);
            }
        }

        return entries;
    }

    private static string KeyOfSourceRef(string sourceRef)
    {
        if (!sourceRef.StartsWith("s3://", StringComparison.Ordinal))
        {
            throw new FormatException($"source-ref '{ObjectKey.Printable(sourceRef)}' is not an s3:// URI");
        }

        var slash = sourceRef.IndexOf('/', 5);
        if (slash < 0 || slash == sourceRef.Length - 1)
        {
            throw new FormatException($"source-ref '{ObjectKey.Printable(sourceRef)}' names no key");
        }

        return ObjectKey.Validate(sourceRef[(slash + 1)..]);
    }

    private static string? LabelOf(string key, string prefix)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = key[prefix.Length..];
        var parts = rest.Split('/');
        return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 ? parts[0] : null;
    }
}
