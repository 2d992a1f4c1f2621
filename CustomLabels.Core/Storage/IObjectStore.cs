namespace CustomLabels.Core.Storage;

/// <summary>
/// An object store with S3 semantics: flat keys with <c>/</c> as a conventional delimiter, whole-object writes,
/// listing by prefix in key order with continuation tokens. Embedded: folders under the data directory; AWS: S3.
/// </summary>
public interface IObjectStore
{
    /// <summary>Writes an object, replacing any object with the same key. The write is atomic.</summary>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    Task<ObjectInfo> PutAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes an object only if no object has the key yet (S3's <c>If-None-Match: *</c>). Of writers that race for one
    /// key, exactly one succeeds and every other one gets <see cref="ObjectExistsException"/>; nothing is replaced.
    /// </summary>
    /// <exception cref="ObjectExistsException">An object has this key already.</exception>
    /// <exception cref="InvalidObjectKeyException">The key is not a valid object key.</exception>
    Task<ObjectInfo> CreateAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default);

    /// <summary>Opens an object for reading. The caller disposes the result.</summary>
    /// <exception cref="ObjectNotFoundException">No object has this key.</exception>
    Task<StoredObject> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads an object's size, time, ETag and metadata, or null when there is none.</summary>
    Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Lists objects whose key starts with <paramref name="prefix"/>, in ordinal key order, one page at a time.</summary>
    /// <param name="prefix">The key prefix; empty for all objects.</param>
    /// <param name="continuationToken">The token from the previous page, or null for the first page.</param>
    /// <param name="maxKeys">The most objects on one page, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    Task<ObjectListing> ListAsync(
        string prefix,
        string? continuationToken = null,
        int maxKeys = 1000,
        CancellationToken cancellationToken = default);

    /// <summary>Copies an object with its metadata to another key.</summary>
    /// <exception cref="ObjectNotFoundException">No object has the source key.</exception>
    Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken = default);

    /// <summary>Copies an object with its metadata to a key that no object has yet; the create-only form of <see cref="CopyAsync"/>.</summary>
    /// <exception cref="ObjectNotFoundException">No object has the source key.</exception>
    /// <exception cref="ObjectExistsException">An object has the destination key already.</exception>
    Task<ObjectInfo> CreateCopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object. Deleting a key that does not exist succeeds, as in S3.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>What the store knows of one object.</summary>
/// <param name="Key">The object key.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="LastModified">When it was last written.</param>
/// <param name="ETag">The hex MD5 of the content, as S3 reports it for single-part uploads (without quotes).</param>
/// <param name="Metadata">User metadata (S3 <c>x-amz-meta-*</c>).</param>
public sealed record ObjectInfo(
    string Key,
    long Size,
    DateTimeOffset LastModified,
    string ETag,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>One page of a listing.</summary>
/// <param name="Objects">The objects on this page, in key order.</param>
/// <param name="NextContinuationToken">The token for the next page, or null when this is the last.</param>
public sealed record ObjectListing(IReadOnlyList<ObjectInfo> Objects, string? NextContinuationToken);

/// <summary>An object opened for reading.</summary>
public sealed class StoredObject(ObjectInfo info, Stream content) : IAsyncDisposable, IDisposable
{
    /// <summary>The object's description.</summary>
    public ObjectInfo Info { get; } = info;

    /// <summary>The content, positioned at its start.</summary>
    public Stream Content { get; } = content;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Content.DisposeAsync();

    /// <inheritdoc />
    public void Dispose() => Content.Dispose();
}

/// <summary>No object has the requested key.</summary>
public sealed class ObjectNotFoundException(string key)
    : NotFoundException($"No object has the key '{key}'.")
{
    /// <summary>The key that was not found.</summary>
    public string Key { get; } = key;
}

/// <summary>A create-only write found an object with its key already: another writer was first.</summary>
public sealed class ObjectExistsException(string key)
    : ConflictException($"An object has the key '{ObjectKey.Printable(key)}' already.")
{
    /// <summary>The key that is taken.</summary>
    public string Key { get; } = key;
}

/// <summary>A key that the store refuses: traversal, an absolute path, control characters or too long.</summary>
public sealed class InvalidObjectKeyException(string key, string reason)
    : InvalidRequestException($"'{ObjectKey.Printable(key)}' is not a valid object key: {reason}.")
{
    /// <summary>The refused key, as given.</summary>
    public string Key { get; } = key;

    /// <summary>Why it was refused.</summary>
    public string Reason { get; } = reason;
}
