using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using CustomLabels.Core.Aws;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Storage.Aws;

/// <summary>The object store in AWS: the pipeline's S3 bucket (<see cref="AwsOptions.BucketName"/>), through AWSSDK.S3.</summary>
public sealed class S3ObjectStore : IObjectStore
{
    private const string MetadataPrefix = "x-amz-meta-";
    private const int MaxConditionalAttempts = 3;

    private readonly IAmazonS3 _s3;
    private readonly string _bucket;

    /// <summary>Creates the store over an S3 client.</summary>
    public S3ObjectStore(IAmazonS3 s3, IOptions<AwsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _s3 = s3;
        _bucket = options.Value.BucketName;
    }

    /// <summary>The bucket's name.</summary>
    public string BucketName => _bucket;

    /// <inheritdoc />
    public Task<ObjectInfo> PutAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, metadata, createOnly: false, cancellationToken);

    /// <inheritdoc />
    public Task<ObjectInfo> CreateAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, metadata, createOnly: true, cancellationToken);

    private async Task<ObjectInfo> WriteAsync(
        string key,
        Stream content,
        IReadOnlyDictionary<string, string>? metadata,
        bool createOnly,
        CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        Stream body = content;
        MemoryStream? buffer = null;
        if (!content.CanSeek)
        {
            // S3 needs the length before the body; a stream that cannot tell it is read into memory first.
            buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken);
            buffer.Position = 0;
            body = buffer;
        }

        try
        {
            var start = body.Position;
            for (var attempt = 1; ; attempt++)
            {
                var request = new PutObjectRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    InputStream = body,
                    AutoCloseStream = false,
                    UseChunkEncoding = false,
                    IfNoneMatch = createOnly ? "*" : null,
                };
                foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
                {
                    request.Metadata[name] = value;
                }

                try
                {
                    await _s3.PutObjectAsync(request, cancellationToken);
                    break;
                }
                catch (AmazonS3Exception exception) when (createOnly && IsConditionalConflict(exception) && attempt < MaxConditionalAttempts)
                {
                    body.Position = start; // S3 asks to retry a create-only write that met a concurrent one
                }
            }
        }
        catch (AmazonS3Exception exception) when (createOnly && IsPreconditionFailed(exception))
        {
            throw new ObjectExistsException(key);
        }
        finally
        {
            if (buffer is not null)
            {
                await buffer.DisposeAsync();
            }
        }

        return await HeadAsync(key, cancellationToken) ?? throw new ObjectNotFoundException(key);
    }

    /// <inheritdoc />
    public async Task<StoredObject> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        try
        {
            var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
            var info = new ObjectInfo(key, response.ContentLength, LastModified(response.LastModified), Unquote(response.ETag), Metadata(response.Metadata));
            return new StoredObject(info, response.ResponseStream);
        }
        catch (AmazonS3Exception exception) when (IsNotFound(exception))
        {
            throw new ObjectNotFoundException(key);
        }
    }

    /// <inheritdoc />
    public async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        try
        {
            var response = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, cancellationToken);
            return new ObjectInfo(key, response.ContentLength, LastModified(response.LastModified), Unquote(response.ETag), Metadata(response.Metadata));
        }
        catch (AmazonS3Exception exception) when (IsNotFound(exception))
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<ObjectListing> ListAsync(
        string prefix,
        string? continuationToken = null,
        int maxKeys = 1000,
        CancellationToken cancellationToken = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxKeys, 1000);
        var response = await _s3.ListObjectsV2Async(
            new ListObjectsV2Request
            {
                BucketName = _bucket,
                Prefix = string.IsNullOrEmpty(prefix) ? null : prefix,
                ContinuationToken = continuationToken,
                MaxKeys = maxKeys,
            },
            cancellationToken);
        var objects = (response.S3Objects ?? [])
            .Where(o => !o.Key.EndsWith('/')) // folder markers made by consoles are not objects of the layout
            .Select(o => new ObjectInfo(o.Key, o.Size ?? 0, LastModified(o.LastModified), Unquote(o.ETag), new Dictionary<string, string>()))
            .ToList();
        return new ObjectListing(objects, response.IsTruncated == true ? response.NextContinuationToken : null);
    }

    /// <inheritdoc />
    public Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken = default) =>
        CopyAsync(sourceKey, destinationKey, createOnly: false, cancellationToken);

    /// <inheritdoc />
    public Task<ObjectInfo> CreateCopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken = default) =>
        CopyAsync(sourceKey, destinationKey, createOnly: true, cancellationToken);

    private async Task<ObjectInfo> CopyAsync(string sourceKey, string destinationKey, bool createOnly, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(sourceKey);
        ObjectKey.Validate(destinationKey);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _s3.CopyObjectAsync(
                    new CopyObjectRequest
                    {
                        SourceBucket = _bucket,
                        SourceKey = sourceKey,
                        DestinationBucket = _bucket,
                        DestinationKey = destinationKey,
                        MetadataDirective = S3MetadataDirective.COPY,
                        IfNoneMatch = createOnly ? "*" : null,
                    },
                    cancellationToken);
                break;
            }
            catch (AmazonS3Exception exception) when (IsNotFound(exception))
            {
                throw new ObjectNotFoundException(sourceKey);
            }
            catch (AmazonS3Exception exception) when (createOnly && IsPreconditionFailed(exception))
            {
                throw new ObjectExistsException(destinationKey);
            }
            catch (AmazonS3Exception exception) when (createOnly && IsConditionalConflict(exception) && attempt < MaxConditionalAttempts)
            {
                // a concurrent write of the destination; S3 asks to try again
            }
        }

        return await HeadAsync(destinationKey, cancellationToken) ?? throw new ObjectNotFoundException(destinationKey);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
    }

    private static bool IsPreconditionFailed(AmazonS3Exception exception) =>
        exception.StatusCode == HttpStatusCode.PreconditionFailed || exception.ErrorCode == "PreconditionFailed";

    private static bool IsConditionalConflict(AmazonS3Exception exception) =>
        exception.StatusCode == HttpStatusCode.Conflict && exception.ErrorCode == "ConditionalRequestConflict";

    private static bool IsNotFound(AmazonS3Exception exception) =>
        exception.StatusCode == HttpStatusCode.NotFound || exception.ErrorCode is "NoSuchKey" or "NotFound";

    private static string Unquote(string? etag) => etag?.Trim('"') ?? string.Empty;

    private static DateTimeOffset LastModified(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime()) : DateTimeOffset.UnixEpoch;

    private static Dictionary<string, string> Metadata(MetadataCollection metadata)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in metadata.Keys)
        {
            var shortName = name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name[MetadataPrefix.Length..] : name;
            result[shortName] = metadata[name];
        }

        return result;
    }
}
