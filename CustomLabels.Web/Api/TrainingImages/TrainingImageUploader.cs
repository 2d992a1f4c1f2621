using System.IO.Compression;
using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;

namespace CustomLabels.Web.Api.TrainingImages;

/// <summary>What became of one uploaded file.</summary>
/// <param name="Name">The file's name as sent (for a zip, the entry's path inside it).</param>
/// <param name="Status">stored, unchanged (the same image is there already) or refused.</param>
/// <param name="Label">The label it went to, when known.</param>
/// <param name="Key">Its key in the bucket, when stored or unchanged.</param>
/// <param name="Reason">Why it was refused.</param>
/// <param name="Refusal">The kind of refusal: name, not-an-image, too-large, exists, corrupt-zip.</param>
public sealed record UploadResult(string Name, string Status, string? Label = null, string? Key = null, string? Reason = null, string? Refusal = null)
{
    public const string Stored = "stored";
    public const string Unchanged = "unchanged";
    public const string Refused = "refused";
}

/// <summary>
/// Adds uploaded images to <c>images_labeled_by_folder/&lt;label&gt;/</c>: plain files under the label named in the
/// path, or zips whose folders name the labels. Each file is checked alone (a safe name, an image, within the
/// size limit) and written whole or not at all; a name that would escape its folder is refused, never cleaned up.
/// </summary>
internal sealed class TrainingImageUploader(IObjectStore store, PipelineEvents events)
{
    /// <summary>The most entries read from one zip.</summary>
    public const int MaxZipEntries = 20_000;

    /// <summary>The refusal of a zip, or of one of its entries, that cannot be read.</summary>
    public const string CorruptZip = "corrupt-zip";

    public async Task<IReadOnlyList<UploadResult>> UploadAsync(string? label, IReadOnlyList<IFormFile> files, CancellationToken cancellationToken)
    {
        var results = new List<UploadResult>();
        foreach (var file in files)
        {
            if (IsZip(file))
            {
                await using var stream = file.OpenReadStream();
                await AddZipAsync(file.FileName, stream, label, results, cancellationToken);
            }
            else if (label is null)
            {
                results.Add(Refuse(file.FileName, null, "name", "Name a label in the path (/api/training-images/{label}), or send a zip of label folders."));
            }
            else if (CheckName(file.FileName) is { } problem)
            {
                results.Add(Refuse(file.FileName, label, "name", problem));
            }
            else if (file.Length > ImageInspector.MaxEncodedBytes)
            {
                results.Add(TooLarge(file.FileName, label, file.Length));
            }
            else
            {
                await using var stream = file.OpenReadStream();
                results.Add(await AddAsync(file.FileName, label, file.FileName, stream, cancellationToken));
            }
        }

        if (results.Any(r => r.Status == UploadResult.Stored))
        {
            events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages));
        }

        return results;
    }

    private async Task AddZipAsync(string zipName, Stream stream, string? label, List<UploadResult> results, CancellationToken cancellationToken)
    {
        // The central directory (the index at the zip's end) is read whole before any entry is stored, so a zip
        // that is cut short or has a corrupt index stores nothing, and says so.
        ZipArchive archive;
        try
        {
            archive = ZipIndex.OpenWhole(stream, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            results.Add(Refuse(
                zipName,
                label,
                CorruptZip,
                $"The zip cannot be read: its central directory (the index at the end of the file) is missing or corrupt, as when the file is cut short. Nothing in it was stored. ({e.Message})"));
            return;
        }

        using (archive)
        {
            var count = 0;
            foreach (var entry in archive.Entries)
            {
                if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                {
                    continue; // a folder entry
                }

                if (++count > MaxZipEntries)
                {
                    results.Add(Refuse(zipName, label, "too-large", $"The zip has more than {MaxZipEntries:N0} files; the rest were not read."));
                    break;
                }

                var display = $"{zipName}/{ObjectKey.Printable(entry.FullName)}";
                var (entryLabel, fileName, problem) = SplitEntry(entry.FullName, label);
                if (problem is not null)
                {
                    results.Add(Refuse(display, entryLabel, "name", problem));
                }
                else if (IsSystemFile(entry.FullName))
                {
                    results.Add(Refuse(display, entryLabel, "not-an-image", "A system file, not an image."));
                }
                else if (entry.Length > ImageInspector.MaxEncodedBytes)
                {
                    results.Add(TooLarge(display, entryLabel, entry.Length));
                }
                else
                {
                    results.Add(await AddEntryAsync(display, entryLabel!, fileName!, entry, cancellationToken));
                }
            }
        }
    }

    /// <summary>Adds one zip entry; an entry whose local header or data is corrupt is refused alone, with the reason.</summary>
    private async Task<UploadResult> AddEntryAsync(string display, string label, string fileName, ZipArchiveEntry entry, CancellationToken cancellationToken)
    {
        if (!ObjectKey.IsValidSegment(label) || !ObjectKey.IsValidSegment(fileName))
        {
            return Refuse(display, label, "name", "The label or the file name is empty, '.', '..', too long, or has path or control characters.");
        }

        byte[] bytes;
        try
        {
            await using var content = await entry.OpenAsync(cancellationToken);
            bytes = await ReadAtMostAsync(content, ImageInspector.MaxEncodedBytes + 1, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            return Refuse(display, label, CorruptZip, $"This entry of the zip is corrupt (its local header or its compressed data); it was not stored. ({e.Message})");
        }
        catch (NotSupportedException e)
        {
            return Refuse(display, label, CorruptZip, $"This entry of the zip cannot be read (an unsupported compression method or encryption); it was not stored. ({e.Message})");
        }

        return await AddBytesAsync(display, label, fileName, bytes, cancellationToken);
    }

    /// <summary>Adds one image under a label: checked, then written whole, or refused with the reason.</summary>
    /// <param name="display">The name to report the file under.</param>
    /// <param name="label">The label (a folder name under the training set).</param>
    /// <param name="fileName">The object's file name.</param>
    /// <param name="content">The encoded image.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    public async Task<UploadResult> AddAsync(string display, string label, string fileName, Stream content, CancellationToken cancellationToken)
    {
        if (!ObjectKey.IsValidSegment(label) || !ObjectKey.IsValidSegment(fileName))
        {
            return Refuse(display, label, "name", "The label or the file name is empty, '.', '..', too long, or has path or control characters.");
        }

        // Read one byte past the limit, so that a zip entry that lies about its length is still caught.
        var bytes = await ReadAtMostAsync(content, ImageInspector.MaxEncodedBytes + 1, cancellationToken);
        return await AddBytesAsync(display, label, fileName, bytes, cancellationToken);
    }

    private async Task<UploadResult> AddBytesAsync(string display, string label, string fileName, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            ImageInspector.Inspect(bytes);
        }
        catch (ImageTooLargeException e)
        {
            return Refuse(display, label, "too-large", e.Message);
        }
        catch (InvalidImageException e)
        {
            return Refuse(display, label, "not-an-image", e.Message);
        }

        // Create-only: of uploads that race for one name, exactly one is stored; the others meet it as existing.
        var key = BucketLayout.TrainingImageKey(label, fileName);
        try
        {
            await store.CreateBytesAsync(key, bytes, new Dictionary<string, string> { ["origin"] = "upload" }, cancellationToken);
            return new UploadResult(display, UploadResult.Stored, label, key);
        }
        catch (ObjectExistsException)
        {
            return await store.HoldsAsync(key, bytes, cancellationToken)
                ? new UploadResult(display, UploadResult.Unchanged, label, key)
                : Refuse(display, label, "exists", $"'{fileName}' exists in label '{label}' with other content; rename the file or delete the existing one.");
        }
    }

    /// <summary>The label and file name of a zip entry: the innermost folder names the label, or the label in the path for entries at the root.</summary>
    private static (string? Label, string? FileName, string? Problem) SplitEntry(string fullName, string? pathLabel)
    {
        if (fullName.Contains('\\', StringComparison.Ordinal) || fullName.StartsWith('/') || fullName.Contains(':', StringComparison.Ordinal))
        {
            return (null, null, "The entry's path is absolute or uses backslashes.");
        }

        var segments = fullName.Split('/');
        if (segments.Any(s => !ObjectKey.IsValidSegment(s)))
        {
            return (null, null, "The entry's path has an empty, '.', '..' or otherwise invalid folder or file name.");
        }

        var fileName = segments[^1];
        var label = segments.Length >= 2 ? segments[^2] : pathLabel;
        return label is null
            ? (null, fileName, "The file is not in a label folder; put each image in a folder named after its label.")
            : (label, fileName, null);
    }

    /// <summary>Null when a plain file's name is safe; otherwise why not.</summary>
    private static string? CheckName(string? fileName)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            return "The file has no name.";
        }

        if (fileName.Contains('/', StringComparison.Ordinal) || fileName.Contains('\\', StringComparison.Ordinal))
        {
            return "The file name contains a path; send the file's name alone.";
        }

        return ObjectKey.IsValidSegment(fileName) ? null : "The file name is empty, '.', '..', too long or has control characters.";
    }

    private static bool IsZip(IFormFile file) =>
        file.FileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
        || file.ContentType is "application/zip" or "application/x-zip-compressed";

    private static bool IsSystemFile(string fullName) =>
        fullName.StartsWith("__MACOSX/", StringComparison.Ordinal)
        || fullName.Split('/')[^1] is ".DS_Store" or "Thumbs.db" or "desktop.ini";

    private static UploadResult Refuse(string name, string? label, string refusal, string reason) =>
        new(name, UploadResult.Refused, label, null, reason, refusal);

    private static UploadResult TooLarge(string name, string? label, long length) => Refuse(
        name, label, "too-large", $"The image is {length:N0} bytes; the most accepted is {ImageInspector.MaxEncodedBytes:N0}.");

    private static async Task<byte[]> ReadAtMostAsync(Stream content, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while (buffer.Length < limit && (read = await content.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
