using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Aws;

namespace CustomLabels.Tests.Core.Aws;

/// <summary>The S3 adapter against s3rver, a real S3-compatible server on a loopback port.</summary>
public sealed class S3ObjectStoreTests : IClassFixture<S3rverFixture>, IDisposable
{
    private readonly AmazonS3Client _s3;
    private readonly S3ObjectStore _store;
    private readonly string _root = $"t{Guid.NewGuid():N}/";

    public S3ObjectStoreTests(S3rverFixture s3rver)
    {
        var options = AwsTest.Options();
        options.ServiceUrls.S3 = s3rver.Server.Url;
        // s3rver checks every request's SigV4 signature against its one built-in key pair.
        _s3 = AwsServiceCollectionExtensions.CreateS3(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), options);
        _store = new S3ObjectStore(_s3, Microsoft.Extensions.Options.Options.Create(options));
    }

    public void Dispose() => _s3.Dispose();

    [Fact]
    public async Task PutThenGetReturnsTheSameBytesWithAnMd5ETagAndMetadata()
    {
        var bytes = Encoding.UTF8.GetBytes("hello bucket");
        var key = $"{_root}images_labeled_by_folder/cat/a.jpg";

        var put = await _store.PutBytesAsync(key, bytes, new Dictionary<string, string> { ["origin"] = "upload" });
        await using var got = await _store.GetAsync(key);
        using var copy = new MemoryStream();
        await got.Content.CopyToAsync(copy);

        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), put.ETag);
        Assert.Equal(put.ETag, got.Info.ETag);
        Assert.Equal("upload", got.Info.Metadata["origin"]);
        Assert.Equal(bytes.Length, got.Info.Size);
    }

    [Fact]
    public async Task AStreamThatCannotSeekIsStoredWhole()
    {
        var bytes = RandomNumberGenerator.GetBytes(70_000);
        await using var pipe = new NonSeekableStream(bytes);

        var put = await _store.PutAsync($"{_root}images_for_detection/big.bin", pipe);

        Assert.Equal(bytes.Length, put.Size);
        Assert.Equal(bytes, await _store.ReadAllBytesAsync($"{_root}images_for_detection/big.bin"));
    }

    [Fact]
    public async Task MissingKeysAreNotFoundOnGetAndNullOnHead()
    {
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.GetAsync($"{_root}manifests/none.manifest"));
        Assert.Null(await _store.HeadAsync($"{_root}manifests/none.manifest"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.CopyAsync($"{_root}none", $"{_root}other"));
    }

    [Fact]
    public async Task ListPagesInKeyOrderUnderAPrefixWithContinuationTokens()
    {
        for (var i = 0; i < 7; i++)
        {
            await _store.PutBytesAsync($"{_root}images_for_detection/img_{i:D3}.jpg", new[] { (byte)i });
        }

        await _store.PutBytesAsync($"{_root}manifests/other.manifest", new byte[] { 1 });

        var first = await _store.ListAsync($"{_root}images_for_detection/", maxKeys: 5);
        var second = await _store.ListAsync($"{_root}images_for_detection/", first.NextContinuationToken, maxKeys: 5);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{_root}images_for_detection/img_{i:D3}.jpg"), first.Objects.Select(o => o.Key));
        Assert.NotNull(first.NextContinuationToken);
        Assert.Equal([$"{_root}images_for_detection/img_005.jpg", $"{_root}images_for_detection/img_006.jpg"], second.Objects.Select(o => o.Key));
        Assert.Null(second.NextContinuationToken);
    }

    [Fact]
    public async Task CopyKeepsContentAndMetadataAndDeleteIsIdempotent()
    {
        var source = $"{_root}images_for_detection/c.jpg";
        var target = $"{_root}images_labeled_by_folder/dog/loop-1-c.jpg";
        await _store.PutBytesAsync(source, new byte[] { 9, 8, 7 }, new Dictionary<string, string> { ["requestid"] = "r1" });

        var copied = await _store.CopyAsync(source, target);
        await _store.DeleteAsync(source);
        await _store.DeleteAsync(source);

        Assert.Equal(3, copied.Size);
        Assert.Equal("r1", copied.Metadata["requestid"]);
        Assert.Null(await _store.HeadAsync(source));
        Assert.Equal(new byte[] { 9, 8, 7 }, await _store.ReadAllBytesAsync(target));
    }

    [Fact]
    public async Task AnInvalidKeyIsRefusedBeforeAnyRequest()
    {
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.PutBytesAsync("../escape.jpg", new byte[] { 1 }));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.HeadAsync("/absolute"));
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
