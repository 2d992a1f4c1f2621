using System.Runtime.CompilerServices;

namespace CustomLabels.Core.Storage;

/// <summary>Conveniences over <see cref="IObjectStore"/> that every backend shares.</summary>
public static class ObjectStoreExtensions
{
    /// <summary>Lists every object under a prefix, following continuation tokens.</summary>
    public static async IAsyncEnumerable<ObjectInfo> ListAllAsync(
        this IObjectStore store,
        string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? token = null;
        do
        {
            var page = await store.ListAsync(prefix, token, 1000, cancellationToken);
            foreach (var item in page.Objects)
            {
                yield return item;
            }

            token = page.NextContinuationToken;
        }
        while (token is not null);
    }

    /// <summary>Reads a whole object into memory.</summary>
    public static async Task<byte[]> ReadAllBytesAsync(this IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        await using var stored = await store.GetAsync(key, cancellationToken);
        using var buffer = new MemoryStream(stored.Info.Size is > 0 and < int.MaxValue ? (int)stored.Info.Size : 0);
        await stored.Content.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>Writes a byte array as an object.</summary>
    public static async Task<ObjectInfo> PutBytesAsync(
        this IObjectStore store,
        string key,
        ReadOnlyMemory<byte> content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        using var stream = ReadOnlyStream(content);
        return await store.PutAsync(key, stream, metadata, cancellationToken);
    }

    /// <summary>Writes a byte array as an object only if no object has the key yet.</summary>
    /// <exception cref="ObjectExistsException">An object has this key already.</exception>
    public static async Task<ObjectInfo> CreateBytesAsync(
        this IObjectStore store,
        string key,
        ReadOnlyMemory<byte> content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        using var stream = ReadOnlyStream(content);
        return await store.CreateAsync(key, stream, metadata, cancellationToken);
    }

    /// <summary>Whether the object under <paramref name="key"/> holds exactly these bytes; false when there is none.</summary>
    public static async Task<bool> HoldsAsync(this IObjectStore store, string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.HeadAsync(key, cancellationToken) is { } existing
                && existing.Size == content.Length
                && (await store.ReadAllBytesAsync(key, cancellationToken)).AsSpan().SequenceEqual(content.Span);
        }
        catch (ObjectNotFoundException)
        {
            return false; // deleted in between
        }
    }

    private static MemoryStream ReadOnlyStream(ReadOnlyMemory<byte> content) => new(content.ToArray(), writable: false);
}
