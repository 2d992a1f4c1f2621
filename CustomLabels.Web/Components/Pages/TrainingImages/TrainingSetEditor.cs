using System.IO.Compression;
using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Web.Api.TrainingImages;

namespace CustomLabels.Web.Components.Pages.TrainingImages;

/// <summary>What became of one uploaded file (or one image inside a zip).</summary>
/// <param name="Name">The file's name, or the zip entry's path.</param>
/// <param name="Key">Where it was stored, when it was.</param>
/// <param name="Refusal">Why it was refused, when it was.</param>
public sealed record UploadOutcome(string Name, string? Key, string? Refusal)
{
    public bool Accepted => Key is not null;
}

/// <summary>What a label rename did.</summary>
/// <param name="Moved">The images now under the new label.</param>
/// <param name="Kept">The file names left under the old label, because the new label has other images by those names.</param>
public sealed record LabelRename(int Moved, IReadOnlyList<string> Kept);

/// <summary>
/// Changes to the training set: uploads (images under one label, or a zip of label folders), renames and deletes.
/// Every image is checked before it is written; a refused one is reported with its reason and writes nothing.
/// </summary>
public sealed class TrainingSetEditor(IObjectStore store, PipelineEvents events)
{
    /// <summary>The largest zip accepted.</summary>
    public const long MaxZipBytes = 512L * 1024 * 1024;

    /// <summary>Adds one uploaded file: an image under <paramref name="label"/>, or a zip whose folders name the labels.</summary>
    public async Task<IReadOnlyList<UploadOutcome>> AddAsync(string fileName, Stream content, string? label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        List<UploadOutcome> outcomes;
        if (fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            outcomes = await AddZipAsync(fileName, content, cancellationToken);
        }
        else if (string.IsNullOrWhiteSpace(label))
        {
            outcomes = [new UploadOutcome(fileName, null, "no label: type the label these images show, or upload a zip of label folders")];
        }
        else
        {
            var image = await ReadAsync(content, ImageInspector.MaxEncodedBytes, cancellationToken);
            outcomes = [image is null
                ? new UploadOutcome(fileName, null, $"larger than {ImageInspector.MaxEncodedBytes / (1024 * 1024)} MB")
                : await AddImageAsync(fileName, label.Trim(), image, cancellationToken)];
        }

        if (outcomes.Exists(o => o.Accepted))
        {
            events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages));
        }

        return outcomes;
    }

    /// <summary>
    /// Moves every image of a label to another label (merging when it exists). An image whose name is taken there by
    /// other content stays where it is, named in the result; one taken by the same content is merged into it.
    /// </summary>
    public async Task<LabelRename> RenameLabelAsync(string label, string newLabel, CancellationToken cancellationToken)
    {
        newLabel = ObjectKey.ValidateSegment(newLabel.Trim(), "label");
        var moved = 0;
        var kept = new List<string>();
        var keys = new List<string>();
        await foreach (var info in store.ListAllAsync($"{BucketLayout.TrainingImages}{ObjectKey.ValidateSegment(label, "label")}/", cancellationToken))
        {
            keys.Add(info.Key);
        }

        foreach (var key in keys)
        {
            var fileName = key[(key.LastIndexOf('/') + 1)..];
            var target = BucketLayout.TrainingImageKey(newLabel, fileName);
            if (target == key)
            {
                continue;
            }

            try
            {
                await store.CreateCopyAsync(key, target, cancellationToken);
            }
            catch (ObjectExistsException)
            {
                if (!await SameContentAsync(key, target, cancellationToken))
                {
                    kept.Add(fileName);
                    continue;
                }
            }

            await store.DeleteAsync(key, cancellationToken);
            moved++;
        }

        events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages));
        return new LabelRename(moved, kept);
    }

    /// <summary>Deletes every image of a label.</summary>
    public async Task<int> DeleteLabelAsync(string label, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var info in store.ListAllAsync($"{BucketLayout.TrainingImages}{ObjectKey.ValidateSegment(label, "label")}/", cancellationToken))
        {
            keys.Add(info.Key);
        }

        foreach (var key in keys)
        {
            await store.DeleteAsync(key, cancellationToken);
        }

        events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages));
        return keys.Count;
    }

    /// <summary>Renames one image within its label; returns its new key.</summary>
    public async Task<string> RenameImageAsync(TrainingImage image, string newFileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var key = BucketLayout.TrainingImageKey(image.Label, newFileName.Trim());
        if (key == image.Key)
        {
            return key;
        }

        try
        {
            await store.CreateCopyAsync(image.Key, key, cancellationToken);
        }
        catch (ObjectExistsException)
        {
            throw new InvalidOperationException($"An image named '{newFileName.Trim()}' is already under '{image.Label}'.");
        }

        await store.DeleteAsync(image.Key, cancellationToken);
        events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages));
        return key;
    }

    /// <summary>Deletes one image.</summary>
    public async Task DeleteImageAsync(TrainingImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        await store.DeleteAsync(image.Key, cancellationToken);
        events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages));
    }

    private async Task<List<UploadOutcome>> AddZipAsync(string fileName, Stream content, CancellationToken cancellationToken)
    {
        if (await ReadAsync(content, MaxZipBytes, cancellationToken) is not { } bytes)
        {
            return [new UploadOutcome(fileName, null, $"the zip is larger than {MaxZipBytes / (1024 * 1024)} MB")];
        }

        // The central directory is read whole before any entry is added, so a zip cut short adds nothing.
        ZipArchive archive;
        try
        {
            archive = ZipIndex.OpenWhole(new MemoryStream(bytes, writable: false));
        }
        catch (InvalidDataException)
        {
            return [new UploadOutcome(fileName, null, "not a readable zip file: its central directory (the index at its end) is missing or corrupt, as when the file is cut short; nothing in it was added")];
        }

        var outcomes = new List<UploadOutcome>();
        using (archive)
        {
            foreach (var entry in archive.Entries.Where(e => !e.FullName.EndsWith('/')))
            {
                var parts = entry.FullName.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2)
                {
                    outcomes.Add(new UploadOutcome(entry.FullName, null, "not inside a label folder"));
                    continue;
                }

                if (parts.Any(p => p.StartsWith('.')) || parts.Contains("__MACOSX"))
                {
                    continue;
                }

                if (entry.Length > ImageInspector.MaxEncodedBytes)
                {
                    outcomes.Add(new UploadOutcome(entry.FullName, null, $"larger than {ImageInspector.MaxEncodedBytes / (1024 * 1024)} MB"));
                    continue;
                }

                byte[]? image;
                try
                {
                    await using var stream = await entry.OpenAsync(cancellationToken);
                    image = await ReadAsync(stream, ImageInspector.MaxEncodedBytes, cancellationToken);
                }
                catch (Exception e) when (e is InvalidDataException or NotSupportedException)
                {
                    // One corrupt entry (its local header or its data) is refused alone; the others are still read.
                    outcomes.Add(new UploadOutcome(entry.FullName, null, "this entry of the zip is corrupt or cannot be read; it was not added"));
                    continue;
                }

                outcomes.Add(image is not null
                    ? await AddImageAsync(entry.FullName, parts[^2], image, cancellationToken, parts[^1])
                    : new UploadOutcome(entry.FullName, null, $"larger than {ImageInspector.MaxEncodedBytes / (1024 * 1024)} MB"));
            }
        }

        return outcomes.Count == 0 ? [new UploadOutcome(fileName, null, "the zip holds no images")] : outcomes;
    }

    private async Task<UploadOutcome> AddImageAsync(string name, string label, byte[] image, CancellationToken cancellationToken, string? fileName = null)
    {
        string key;
        try
        {
            key = BucketLayout.TrainingImageKey(label, fileName ?? name);
            ImageInspector.Inspect(image);
        }
        catch (ArgumentException e)
        {
            // InvalidObjectKeyException, InvalidImageException and ImageTooLargeException all say what is wrong.
            return new UploadOutcome(name, null, e.Message);
        }

        // Create-only: an upload never replaces an image; the same image again is taken as already there.
        try
        {
            await store.CreateBytesAsync(key, image, cancellationToken: cancellationToken);
        }
        catch (ObjectExistsException)
        {
            if (!await store.HoldsAsync(key, image, cancellationToken))
            {
                return new UploadOutcome(name, null, $"an image named '{key[(key.LastIndexOf('/') + 1)..]}' is already under '{label}' with other content");
            }
        }

        return new UploadOutcome(name, key, null);
    }

    private async Task<bool> SameContentAsync(string key, string otherKey, CancellationToken cancellationToken)
    {
        try
        {
            return await store.HoldsAsync(otherKey, await store.ReadAllBytesAsync(key, cancellationToken), cancellationToken);
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Reads a stream whole, or returns null as soon as it passes the limit.</summary>
    private static async Task<byte[]?> ReadAsync(Stream content, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
