using System.IO.Compression;

namespace CustomLabels.Web.Api.TrainingImages;

/// <summary>Opens an uploaded zip of training images, for the API's and the dashboard's uploads alike.</summary>
internal static class ZipIndex
{
    /// <summary>
    /// Opens a zip for reading and reads its central directory (the index at its end) whole before any entry is read,
    /// so that a zip cut short or with a corrupt index is refused before anything in it is stored.
    /// </summary>
    /// <exception cref="InvalidDataException">The central directory is missing or corrupt.</exception>
    public static ZipArchive OpenWhole(Stream stream, bool leaveOpen = false)
    {
        var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen);
        try
        {
            _ = archive.Entries;
            return archive;
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }
}
