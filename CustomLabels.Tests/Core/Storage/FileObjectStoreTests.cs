using System.Security.Cryptography;
using System.Text;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Tests.Core.Storage;

public sealed class FileObjectStoreTests : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly FileObjectStore _store;

    public FileObjectStoreTests() => _store = new FileObjectStore(_data.Path, NullLogger<FileObjectStore>.Instance);

    public void Dispose() => _data.Dispose();

    [Fact]
    public void FirstStartCreatesTheBucketLayout()
    {
        foreach (var prefix in BucketLayout.Prefixes)
        {
            Assert.True(Directory.Exists(Path.Combine(_store.BucketDirectory, prefix.TrimEnd('/'))), prefix);
        }
    }

    [Fact]
    public async Task PutThenGetReturnsTheSameBytesWithAnMd5ETagAndMetadata()
    {
        var bytes = Encoding.UTF8.GetBytes("hello bucket");
        var put = await _store.PutBytesAsync("images_labeled_by_folder/cat/a.jpg", bytes, new Dictionary<string, string> { ["origin"] = "upload" });

        await using var got = await _store.GetAsync("images_labeled_by_folder/cat/a.jpg");
        using var copy = new MemoryStream();
        await got.Content.CopyToAsync(copy);

        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), put.ETag);
        Assert.Equal(put.ETag, got.Info.ETag);
        Assert.Equal("upload", got.Info.Metadata["origin"]);
        Assert.Equal(bytes.Length, got.Info.Size);
    }

    [Fact]
    public async Task GetOfAMissingKeyThrowsNotFoundAndHeadReturnsNull()
    {
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.GetAsync("manifests/none.manifest"));
        Assert.Null(await _store.HeadAsync("manifests/none.manifest"));
    }

    [Fact]
    public async Task ListPagesInOrdinalKeyOrderUnderAPrefix()
    {
        for (var i = 0; i < 25; i++)
        {
            await _store.PutBytesAsync($"images_for_detection/img_{i:D3}.jpg", new byte[] { (byte)i });
        }

        await _store.PutBytesAsync("manifests/other.manifest", new byte[] { 1 });

        var keys = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _store.ListAsync("images_for_detection/", token, maxKeys: 10);
            keys.AddRange(page.Objects.Select(o => o.Key));
            token = page.NextContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"images_for_detection/img_{i:D3}.jpg"), keys);
    }

    [Theory]
    [InlineData("images_labeled_by_folder/", 1)]
    [InlineData("images_labeled_by_folder/", 3)]
    [InlineData("images_labeled_by_folder/a", 2)]
    [InlineData("", 4)]
    public async Task ListWalksNestedFoldersInOrdinalKeyOrderAcrossPages(string prefix, int maxKeys)
    {
        string[] stored =
        [
            "images_labeled_by_folder/a.png", "images_labeled_by_folder/a/z.png", "images_labeled_by_folder/a/y/q.png",
            "images_labeled_by_folder/a-b/c.png", "images_labeled_by_folder/a0", "images_labeled_by_folder/B/x.png",
            "images_labeled_by_folder/b/c/d.png", "images_labeled_by_folder/b/c.png", "manifests/m.manifest",
        ];
        foreach (var key in stored)
        {
            await _store.PutBytesAsync(key, Encoding.UTF8.GetBytes(key));
        }

        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await _store.ListAsync(prefix, token, maxKeys);
            Assert.InRange(page.Objects.Count, 1, maxKeys);
            keys.AddRange(page.Objects.Select(o => o.Key));
            token = page.NextContinuationToken;
        }
        while (token is not null);

        Assert.Equal(stored.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public async Task ListNeverShowsAStaleObjectAfterOverwriteRenameDeleteOrAHandEdit()
    {
        const string prefix = "images_labeled_by_folder/cat/";
        await _store.PutBytesAsync(prefix + "a.png", "first"u8.ToArray());
        var first = Assert.Single((await _store.ListAsync(prefix)).Objects);

        // Rewritten with the same size, and the clock's step hides the change in the write time.
        await _store.PutBytesAsync(prefix + "a.png", "again"u8.ToArray());
        File.SetLastWriteTimeUtc(_store.PathOf(prefix + "a.png"), first.LastModified.UtcDateTime);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData("again"u8.ToArray())), Assert.Single((await _store.ListAsync(prefix)).Objects).ETag);

        await _store.CopyAsync(prefix + "a.png", prefix + "b.png");
        await _store.DeleteAsync(prefix + "a.png");
        var renamed = Assert.Single((await _store.ListAsync(prefix)).Objects);
        Assert.Equal((prefix + "b.png", Convert.ToHexStringLower(MD5.HashData("again"u8.ToArray()))), (renamed.Key, renamed.ETag));

        await File.WriteAllBytesAsync(_store.PathOf(prefix + "b.png"), "edited by hand"u8.ToArray());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData("edited by hand"u8.ToArray())), Assert.Single((await _store.ListAsync(prefix)).Objects).ETag);

        File.Delete(_store.PathOf(prefix + "b.png"));
        Assert.Empty((await _store.ListAsync(prefix)).Objects);
        Assert.Null(await _store.HeadAsync(prefix + "b.png"));
    }

    [Fact]
    public async Task AFileDroppedByHandIsAnObjectWithAComputedETag()
    {
        var path = Path.Combine(_store.BucketDirectory, "images_for_detection", "dropped.jpg");
        await File.WriteAllBytesAsync(path, [1, 2, 3]);

        var head = await _store.HeadAsync("images_for_detection/dropped.jpg");

        Assert.NotNull(head);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(new byte[] { 1, 2, 3 })), head.ETag);
    }

    [Fact]
    public async Task CopyKeepsContentAndDeleteRemovesAndIsIdempotent()
    {
        await _store.PutBytesAsync("images_for_detection/x.jpg", new byte[] { 9, 9 });
        var copied = await _store.CopyAsync("images_for_detection/x.jpg", "images_labeled_by_folder/dog/loop-x.jpg");
        Assert.Equal(2, copied.Size);

        await _store.DeleteAsync("images_labeled_by_folder/dog/loop-x.jpg");
        await _store.DeleteAsync("images_labeled_by_folder/dog/loop-x.jpg");

        Assert.Null(await _store.HeadAsync("images_labeled_by_folder/dog/loop-x.jpg"));
        Assert.False(Directory.Exists(Path.Combine(_store.BucketDirectory, "images_labeled_by_folder", "dog")));
        Assert.True(Directory.Exists(Path.Combine(_store.BucketDirectory, "images_labeled_by_folder")));
    }

    [Fact]
    public async Task OfConcurrentCreatesOfOneKeyExactlyOneWinsAndNothingIsReplaced()
    {
        // Two stores over one folder, as two processes would be: only the file system keeps the writes apart.
        var other = new FileObjectStore(_data.Path, NullLogger<FileObjectStore>.Instance);
        await _store.PutBytesAsync("images_for_detection/source.jpg", new byte[] { 7, 7, 7 });
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            await go.Task;
            var store = i % 2 == 0 ? _store : other;
            try
            {
                return i % 4 == 3
                    ? (Index: i, Info: await store.CreateCopyAsync("images_for_detection/source.jpg", "images_labeled_by_folder/cat/same.jpg"))
                    : (Index: i, Info: await store.CreateBytesAsync("images_labeled_by_folder/cat/same.jpg", new[] { (byte)i }));
            }
            catch (ObjectExistsException e)
            {
                Assert.Equal("images_labeled_by_folder/cat/same.jpg", e.Key);
                return (Index: i, Info: (ObjectInfo?)null);
            }
        })).ToList();
        go.SetResult();
        var results = await Task.WhenAll(writes);

        var winner = Assert.Single(results, r => r.Info is not null);
        var expected = winner.Index % 4 == 3 ? new byte[] { 7, 7, 7 } : new[] { (byte)winner.Index };
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(_store.BucketDirectory, "images_labeled_by_folder", "cat", "same.jpg")));
        Assert.Equal(winner.Info!.ETag, (await other.HeadAsync("images_labeled_by_folder/cat/same.jpg"))!.ETag);
        Assert.Empty(Directory.GetFiles(Path.Combine(_data.Path, "tmp")));
    }

    [Fact]
    public async Task ACreateOfATakenKeyIsRefusedAndAPutStillReplaces()
    {
        await _store.CreateBytesAsync("manifests/a.manifest", new byte[] { 1 });

        await Assert.ThrowsAsync<ObjectExistsException>(() => _store.CreateBytesAsync("manifests/a.manifest", new byte[] { 2 }));
        await Assert.ThrowsAsync<ObjectExistsException>(() => _store.CreateCopyAsync("manifests/a.manifest", "manifests/a.manifest"));
        Assert.Equal(new byte[] { 1 }, await _store.ReadAllBytesAsync("manifests/a.manifest"));
        await _store.PutBytesAsync("manifests/a.manifest", new byte[] { 3 });
        Assert.Equal(new byte[] { 3 }, await _store.ReadAllBytesAsync("manifests/a.manifest"));
    }

    [Theory]
    [InlineData("../escape.jpg")]
    [InlineData("images_labeled_by_folder/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("images_labeled_by_folder//a.jpg")]
    [InlineData("images_labeled_by_folder/./a.jpg")]
    [InlineData("images_labeled_by_folder/a\\..\\b.jpg")]
    [InlineData("images_labeled_by_folder/bad\u0000name.jpg")]
    [InlineData("images_labeled_by_folder/line\nbreak.jpg")]
    [InlineData("images_labeled_by_folder/gpj.\u202Egnp/a.jpg")]
    [InlineData("images_labeled_by_folder/cat\u2066/a.jpg")]
    [InlineData("images_labeled_by_folder/cat/\u200Fa.jpg")]
    [InlineData("")]
    public async Task HostileKeysAreRefusedAndNothingIsWritten(string key)
    {
        var before = Directory.EnumerateFiles(_data.Path, "*", SearchOption.AllDirectories).Count();

        var error = await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.PutBytesAsync(key, new byte[] { 1 }));

        Assert.Contains("not a valid object key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\0', error.Message);
        Assert.Equal(before, Directory.EnumerateFiles(_data.Path, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task KeysLongerThanS3AllowsAreRefused()
    {
        var key = "images_for_detection/" + string.Join('/', Enumerable.Repeat(new string('a', 200), 5));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => _store.PutBytesAsync(key, new byte[] { 1 }));
    }

    [Fact]
    public void ALabelWithABidiFormattingCharacterIsRefusedAndTheReasonSaysWhy()
    {
        var error = Assert.Throws<InvalidObjectKeyException>(() => BucketLayout.TrainingImageKey("lab\u202Eel", "a.jpg"));
        Assert.Contains("bidirectional formatting character U+202E", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelAndFileNameWithPathCharactersAreRefused()
    {
        Assert.Throws<InvalidObjectKeyException>(() => BucketLayout.TrainingImageKey("../cat", "a.jpg"));
        Assert.Throws<InvalidObjectKeyException>(() => BucketLayout.TrainingImageKey("cat", "sub/a.jpg"));
        Assert.Equal("images_labeled_by_folder/cat/a.jpg", BucketLayout.TrainingImageKey("cat", "a.jpg"));
        Assert.Equal("cat", BucketLayout.LabelOf("images_labeled_by_folder/cat/a.jpg"));
        Assert.Null(BucketLayout.LabelOf("images_for_detection/a.jpg"));
    }

    [Fact]
    public async Task AnInterruptedWriteLeavesThePreviousObjectWhole()
    {
        await _store.PutBytesAsync("manifests/v1.manifest", Encoding.UTF8.GetBytes("old"));
        using var cts = new CancellationTokenSource();
        var failing = new FailingStream(Encoding.UTF8.GetBytes("new content that never finishes"), cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.PutAsync("manifests/v1.manifest", failing, cancellationToken: cts.Token));

        Assert.Equal("old", Encoding.UTF8.GetString(await _store.ReadAllBytesAsync("manifests/v1.manifest")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_data.Path, "tmp")));
    }

    /// <summary>Returns some bytes, then cancels the write mid-way.</summary>
    private sealed class FailingStream(byte[] first, CancellationTokenSource cancel) : MemoryStream(first)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= 4)
            {
                await cancel.CancelAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return await base.ReadAsync(buffer[..Math.Min(4, buffer.Length)], cancellationToken);
        }
    }
}
