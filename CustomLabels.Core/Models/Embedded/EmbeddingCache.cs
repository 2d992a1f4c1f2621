namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// Training samples on disk, keyed by the image's content hash and the sample recipe, so that retraining embeds only
/// images it has not seen: <c>&lt;data&gt;/models/embedding-cache/&lt;recipe&gt;/&lt;hash[0..2]&gt;/&lt;hash&gt;.bin</c>.
/// Values are stored as half floats. A file that cannot be read counts as a miss.
/// </summary>
internal sealed class EmbeddingCache(string directory)
{
    private const int Magic = 0x43454d42; // "BMEC"

    public string Directory { get; } = directory;

    public ImageSamples? TryRead(string recipe, string contentHash)
    {
        var path = PathOf(recipe, contentHash);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            if (reader.ReadInt32() != Magic)
            {
                return null;
            }

            var count = reader.ReadInt32();
            var roles = reader.ReadBytes(count).Select(b => (SampleRole)b).ToArray();
            var variants = reader.ReadBytes(count);
            var embeddings = new float[count * RegionFeatures.Dimension];
            var raw = reader.ReadBytes(embeddings.Length * 2);
            if (raw.Length != embeddings.Length * 2)
            {
                return null;
            }

            var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(raw);
            for (var i = 0; i < embeddings.Length; i++)
            {
                embeddings[i] = (float)halves[i];
            }

            return new ImageSamples(roles, variants, embeddings);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(string recipe, string contentHash, ImageSamples samples)
    {
        var path = PathOf(recipe, contentHash);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var writer = new BinaryWriter(File.Create(temp)))
        {
            writer.Write(Magic);
            writer.Write(samples.Count);
            writer.Write(samples.Roles.Select(r => (byte)r).ToArray());
            writer.Write(samples.Variants);
            var halves = new Half[samples.Embeddings.Length];
            for (var i = 0; i < halves.Length; i++)
            {
                halves[i] = (Half)samples.Embeddings[i];
            }

            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()));
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Rounds values in place to the precision the cache stores them at (half).</summary>
    public static void RoundAsStored(float[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(Half)values[i];
        }
    }

    /// <summary>Deletes the oldest entries of a recipe beyond <paramref name="maxEntries"/> (by last write).</summary>
    public void Trim(string recipe, int maxEntries)
    {
        var folder = Path.Combine(Directory, recipe);
        if (!System.IO.Directory.Exists(folder))
        {
            return;
        }

        try
        {
            var files = new DirectoryInfo(folder).EnumerateFiles("*.bin", SearchOption.AllDirectories).ToList();
            foreach (var file in files.OrderByDescending(f => f.LastWriteTimeUtc).Skip(maxEntries))
            {
                file.Delete();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another trim or a reader got there first; the next trim tries again.
        }
    }

    private string PathOf(string recipe, string contentHash)
    {
        // Content hashes are hex; anything else is hashed again so that it cannot leave the cache folder.
        var safe = contentHash.All(char.IsAsciiHexDigit) && contentHash.Length >= 8
            ? contentHash.ToLowerInvariant()
            : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(contentHash)));
        return Path.Combine(Directory, recipe, safe[..2], $"{safe}.bin");
    }
}
