using System.Collections.Concurrent;
using System.IO.Enumeration;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Storage.Embedded;

/// <summary>
/// The embedded bucket: each object is a file under <c>&lt;data&gt;/bucket/</c>, named by its key. Writes go to a
/// temporary file that is then renamed into place, so a reader never sees half an object. Size, ETag and user
/// metadata are kept in a sidecar under <c>&lt;data&gt;/bucket-meta/</c>; a file dropped into the folder by hand
/// has none until it is first read, when it is computed and written. What the sidecars say is also kept in memory and
/// used while the file's size and write time still match it, so a listing does not read every sidecar again.
/// </summary>
public sealed partial class FileObjectStore : IObjectStore
{
    private const string SidecarSuffix = ".json";
    private const int MaxDescribed = 200_000;
    private static readonly JsonSerializerOptions SidecarJson = new(JsonSerializerDefaults.Web);
    private static readonly EnumerationOptions ListingOptions = new() { AttributesToSkip = 0, IgnoreInaccessible = false };

    private readonly string _tempDirectory;
    private readonly string _metaDirectory;
    private readonly ILogger<FileObjectStore> _logger;

    // What each object's sidecar said, kept so that listing a large prefix does not read every sidecar again.
    private readonly ConcurrentDictionary<string, ObjectInfo> _described = new(StringComparer.Ordinal);

    // Where hard links are missing, create-only writes of one key take the same lock, so the check and the move are one step.
    private readonly Lock[] _createLocks = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];

    /// <summary>Opens (and on first start creates) the bucket under the configured data directory.</summary>
    public FileObjectStore(IOptions<CustomLabelsOptions> options, ILogger<FileObjectStore> logger)
        : this(options.Value.DataDirectoryFullPath, logger)
    {
    }

    /// <summary>Opens (and on first start creates) the bucket under <paramref name="dataDirectory"/>.</summary>
    public FileObjectStore(string dataDirectory, ILogger<FileObjectStore> logger)
    {
        _logger = logger;
        var root = Path.GetFullPath(dataDirectory);
        BucketDirectory = Path.Combine(root, "bucket");
        _metaDirectory = Path.Combine(root, "bucket-meta");
        _tempDirectory = Path.Combine(root, "tmp");
        Directory.CreateDirectory(_tempDirectory);
        Directory.CreateDirectory(_metaDirectory);
        foreach (var leftover in Directory.EnumerateFiles(_tempDirectory))
        {
            TryDelete(leftover); // a write that a crash interrupted; its object was never replaced
        }

        foreach (var prefix in BucketLayout.Prefixes)
        {
            Directory.CreateDirectory(Path.Combine(BucketDirectory, prefix.TrimEnd('/')));
        }
    }

    /// <summary>Raised after an object has been written or copied into place by this process.</summary>
    public event EventHandler<ObjectInfo>? ObjectCreated;

    /// <summary>The folder that holds the objects; files dropped here by hand are objects too.</summary>
    public string BucketDirectory { get; }

    /// <summary>The file that holds the object with this key.</summary>
    public string PathOf(string key) => Path.Combine(BucketDirectory, ObjectKey.Validate(key));

    /// <summary>The key of a file under <see cref="BucketDirectory"/>, or null when the path lies outside it.</summary>
    public string? KeyOf(string fullPath)
    {
        var relative = Path.GetRelativePath(BucketDirectory, Path.GetFullPath(fullPath));
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return null;
        }

        var key = relative.Replace(Path.DirectorySeparatorChar, '/');
        return ObjectKey.IsValidSegment(key.Split('/')[0]) ? key : null;
    }

    /// <inheritdoc />
    public Task<ObjectInfo> PutAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, metadata, replace: true, cancellationToken);

    /// <inheritdoc />
    public Task<ObjectInfo> CreateAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, metadata, replace: false, cancellationToken);

    private async Task<ObjectInfo> WriteAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata,
        bool replace,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PrepareTarget(key);
        var temp = Path.Combine(_tempDirectory, $"{Guid.NewGuid():N}.part");
        try
        {
            string etag;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    md5.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                await file.FlushAsync(cancellationToken);
                etag = Convert.ToHexStringLower(md5.GetHashAndReset());
            }

            return Commit(key, path, temp, etag, metadata, replace);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <inheritdoc />
    public async Task<StoredObject> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var info = await HeadAsync(key, cancellationToken) ?? throw new ObjectNotFoundException(key);
        try
        {
            var stream = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true);
            return new StoredObject(info, stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(key);
        }
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? Describe(key, file) : null);
    }

    /// <inheritdoc />
    public Task<ObjectListing> ListAsync(
        string prefix,
        string? continuationToken = null,
        int maxKeys = 1000,
        CancellationToken cancellationToken = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxKeys, 1000);
        var startAfter = continuationToken is null ? null : DecodeToken(continuationToken);

        var slash = prefix.LastIndexOf('/');
        var directory = slash < 0 ? BucketDirectory : Path.Combine(BucketDirectory, prefix[..slash]);
        if (!Directory.Exists(directory))
        {
            return Task.FromResult(new ObjectListing([], null));
        }

        var keyPrefix = slash < 0 ? string.Empty : prefix[..(slash + 1)];
        if (keyPrefix.Length > 0 && !ObjectKey.IsValidSegment(keyPrefix[..keyPrefix.IndexOf('/', StringComparison.Ordinal)]))
        {
            return Task.FromResult(new ObjectListing([], null));
        }

        // Walks the folders in key order and stops after one key past the page, so a page costs the folders it
        // touches, not the whole prefix; only the objects on the page are described.
        var keys = new List<string>(maxKeys + 1);
        CollectKeys(directory, keyPrefix, prefix, startAfter, maxKeys + 1, keys, cancellationToken);
        var onPage = keys.Count > maxKeys ? keys.GetRange(0, maxKeys) : keys;
        var page = new List<ObjectInfo>(onPage.Count);
        foreach (var key in onPage)
        {
            var file = new FileInfo(Path.Combine(BucketDirectory, key));
            if (file.Exists)
            {
                page.Add(Describe(key, file));
            }
        }

        var next = keys.Count > maxKeys ? EncodeToken(onPage[^1]) : null;
        return Task.FromResult(new ObjectListing(page, next));
    }

    /// <inheritdoc />
    public Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken = default) =>
        Task.FromResult(Copy(sourceKey, destinationKey, replace: true));

    /// <inheritdoc />
    public Task<ObjectInfo> CreateCopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken = default) =>
        Task.FromResult(Copy(sourceKey, destinationKey, replace: false));

    private ObjectInfo Copy(string sourceKey, string destinationKey, bool replace)
    {
        var sourcePath = PathOf(sourceKey);
        var source = new FileInfo(sourcePath);
        if (!source.Exists)
        {
            throw new ObjectNotFoundException(sourceKey);
        }

        var sourceInfo = Describe(sourceKey, source);
        var path = PrepareTarget(destinationKey);
        var temp = Path.Combine(_tempDirectory, $"{Guid.NewGuid():N}.part");
        try
        {
            File.Copy(sourcePath, temp);
            return Commit(destinationKey, path, temp, sourceInfo.ETag, sourceInfo.Metadata, replace);
        }
        catch (FileNotFoundException)
        {
            throw new ObjectNotFoundException(sourceKey);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        TryDelete(path);
        _described.TryRemove(key, out _);
        TryDelete(SidecarPath(key));
        PruneEmptyDirectories(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    private string PrepareTarget(string key)
    {
        var path = PathOf(key);
        var directory = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (IOException)
        {
            throw new InvalidObjectKeyException(key, "a part of it is already the key of an object");
        }

        if (Directory.Exists(path))
        {
            throw new InvalidObjectKeyException(key, "it is already a prefix of other objects");
        }

        return path;
    }

    private ObjectInfo Commit(string key, string path, string temp, string etag, IReadOnlyDictionary<string, string>? metadata, bool replace)
    {
        if (replace)
        {
            File.Move(temp, path, overwrite: true);
        }
        else
        {
            MoveIntoFreeKey(key, path, temp);
        }

        var file = new FileInfo(path);
        var sidecar = new Sidecar(etag, file.Length, file.LastWriteTimeUtc.Ticks, new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()));
        WriteSidecar(key, sidecar);
        var info = new ObjectInfo(key, file.Length, new DateTimeOffset(file.LastWriteTimeUtc), etag, sidecar.Metadata);
        Remember(info);
        ObjectCreated?.Invoke(this, info);
        return info;
    }

    /// <summary>Names the written file by its key only if no file has that name: one step, so of racing writers one wins.</summary>
    private void MoveIntoFreeKey(string key, string path, string temp)
    {
        // .NET's move without overwrite checks and then renames, two steps; link(2) is one, and the kernel refuses it
        // when the name exists, also for another process. The temporary name is removed by the caller.
        if (!OperatingSystem.IsWindows())
        {
            if (NativeMethods.Link(temp, path) == 0)
            {
                return;
            }

            if (Marshal.GetLastPInvokeError() == NativeMethods.AlreadyExists)
            {
                throw new ObjectExistsException(key);
            }

            // A file system without hard links: the lock below keeps the check and the move one step in this process.
        }

        lock (_createLocks[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_createLocks.Length)])
        {
            if (File.Exists(path))
            {
                throw new ObjectExistsException(key);
            }

            try
            {
                File.Move(temp, path, overwrite: false); // on Windows a move that does not replace is one step
            }
            catch (IOException) when (File.Exists(path))
            {
                throw new ObjectExistsException(key);
            }
        }
    }

    private ObjectInfo Describe(string key, FileInfo file)
    {
        // A file that is rewritten, by this process or by hand, changes its size or its write time, so the
        // remembered description is used only while both still match the file.
        if (_described.TryGetValue(key, out var known)
            && known.Size == file.Length
            && known.LastModified.UtcTicks == file.LastWriteTimeUtc.Ticks)
        {
            return known;
        }

        var sidecar = ReadSidecar(key);
        if (sidecar is null || sidecar.Size != file.Length || sidecar.LastWriteTicks != file.LastWriteTimeUtc.Ticks)
        {
            // Written by hand, or changed behind our back: hash it once and remember.
            string etag;
            using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
#pragma warning disable CA5351 // MD5 is S3's ETag, an identity of content, not a security measure.
                etag = Convert.ToHexStringLower(MD5.HashData(stream));
#pragma warning restore CA5351
            }

            sidecar = new Sidecar(etag, file.Length, file.LastWriteTimeUtc.Ticks, sidecar?.Metadata ?? []);
            WriteSidecar(key, sidecar);
        }

        var info = new ObjectInfo(key, file.Length, new DateTimeOffset(file.LastWriteTimeUtc), sidecar.ETag, sidecar.Metadata);
        Remember(info);
        return info;
    }

    private void Remember(ObjectInfo info)
    {
        // Bounded so that a bucket that keeps growing costs sidecar reads past the bound, not unbounded memory.
        if (_described.Count < MaxDescribed || _described.ContainsKey(info.Key))
        {
            _described[info.Key] = info;
        }
    }

    private static void CollectKeys(
        string directory,
        string directoryKey,
        string prefix,
        string? startAfter,
        int limit,
        List<string> keys,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        List<(string Key, bool IsDirectory)> entries;
        try
        {
            entries = [.. new FileSystemEnumerable<(string Key, bool IsDirectory)>(
                directory,
                (ref FileSystemEntry entry) => entry.IsDirectory
                    ? (string.Concat(directoryKey, entry.FileName, "/"), true)
                    : (string.Concat(directoryKey, entry.FileName), false),
                ListingOptions)];
        }
        catch (DirectoryNotFoundException)
        {
            return; // deleted while the listing walked past it
        }

        // A folder sorts as its name followed by '/', which is where its keys fall among the files beside it.
        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (key, isDirectory) in entries)
        {
            if (keys.Count >= limit)
            {
                return;
            }

            if (directoryKey.Length == 0 && !ObjectKey.IsValidSegment(isDirectory ? key[..^1] : key))
            {
                continue;
            }

            if (isDirectory)
            {
                var reaches = key.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(key, StringComparison.Ordinal);
                var passed = startAfter is not null && string.CompareOrdinal(key, startAfter) < 0 && !startAfter.StartsWith(key, StringComparison.Ordinal);
                if (reaches && !passed)
                {
                    CollectKeys(Path.Combine(directory, key[directoryKey.Length..^1]), key, prefix, startAfter, limit, keys, cancellationToken);
                }
            }
            else if (key.StartsWith(prefix, StringComparison.Ordinal) && (startAfter is null || string.CompareOrdinal(key, startAfter) > 0))
            {
                keys.Add(key);
            }
        }
    }

    private string SidecarPath(string key) => Path.Combine(_metaDirectory, key + SidecarSuffix);

    private Sidecar? ReadSidecar(string key)
    {
        try
        {
            return JsonSerializer.Deserialize<Sidecar>(File.ReadAllBytes(SidecarPath(key)), SidecarJson);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private void WriteSidecar(string key, Sidecar sidecar)
    {
        var path = SidecarPath(key);
        var temp = Path.Combine(_tempDirectory, $"{Guid.NewGuid():N}.meta");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(sidecar, SidecarJson));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The sidecar is a cache of what the file says; losing it costs a re-hash, never data.
            LogSidecarWriteFailed(_logger, ObjectKey.Printable(key), e);
            TryDelete(temp);
        }
    }

    private void PruneEmptyDirectories(string directory)
    {
        var keep = BucketLayout.Prefixes.Select(p => Path.Combine(BucketDirectory, p.TrimEnd('/'))).ToHashSet(StringComparer.Ordinal);
        keep.Add(BucketDirectory);
        var current = directory;
        while (!keep.Contains(current) && current.StartsWith(BucketDirectory, StringComparison.Ordinal))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(current).Any())
                {
                    return;
                }

                Directory.Delete(current);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }

            current = Path.GetDirectoryName(current)!;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary file is swept at the next start.
        }
    }

    private static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    private static string DecodeToken(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw new ArgumentException("The continuation token is not one this store issued.", nameof(token));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the metadata of object {Key}")]
    private static partial void LogSidecarWriteFailed(ILogger logger, string key, Exception exception);

    private sealed record Sidecar(string ETag, long Size, long LastWriteTicks, Dictionary<string, string> Metadata);
}
