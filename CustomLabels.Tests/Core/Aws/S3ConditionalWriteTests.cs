using CustomLabels.Core.Aws;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Aws;

namespace CustomLabels.Tests.Core.Aws;

/// <summary>
/// Create-only writes in S3 mode: the requests the S3 adapter sends and how it reads S3's answers. s3rver ignores
/// <c>If-None-Match</c> on writes, so these run against a recording server that answers as S3 documents.
/// </summary>
public sealed class S3ConditionalWriteTests : IAsyncLifetime
{
    private const string PreconditionFailed =
        "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>";

    private const string ConditionalRequestConflict =
        "<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting conditional operation is currently in progress against this resource.</Message></Error>";

    private const string CopyResult =
        "<CopyObjectResult><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"0a0b\"</ETag></CopyObjectResult>";

    private FakeAwsServer _server = null!;
    private Amazon.S3.AmazonS3Client _s3 = null!;
    private S3ObjectStore _store = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeAwsServer.StartAsync();
        var options = AwsTest.Options();
        options.ServiceUrls.S3 = _server.BaseAddress.ToString().TrimEnd('/');
        _s3 = AwsServiceCollectionExtensions.CreateS3(AwsTest.Credentials, options);
        _store = new S3ObjectStore(_s3, Microsoft.Extensions.Options.Options.Create(options));
    }

    public async Task DisposeAsync()
    {
        _s3.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ACreateSendsIfNoneMatchStarAndAPutDoesNot()
    {
        RespondStored();
        RespondStored();

        await _store.CreateBytesAsync("images_labeled_by_folder/cat/same.jpg", new byte[] { 1, 2 });
        await _store.PutBytesAsync("manifests/v1.manifest", new byte[] { 3 });

        var puts = _server.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal(2, puts.Count);
        Assert.EndsWith("/images_labeled_by_folder/cat/same.jpg", puts[0].Url.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("*", puts[0].Header("If-None-Match"));
        Assert.Null(puts[1].Header("If-None-Match"));
    }

    [Fact]
    public async Task ACreateThatS3RefusesAsTakenIsAnObjectThatExists()
    {
        _server.Respond(412, PreconditionFailed, ("x-amz-request-id", "r1"));

        var refused = await Assert.ThrowsAsync<ObjectExistsException>(
            () => _store.CreateBytesAsync("images_labeled_by_folder/cat/same.jpg", new byte[] { 1, 2 }));

        Assert.Equal("images_labeled_by_folder/cat/same.jpg", refused.Key);
        Assert.Single(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task ACreateThatMeetsAConcurrentConditionalWriteIsSentAgainWithItsWholeBody()
    {
        _server.Respond(409, ConditionalRequestConflict, ("x-amz-request-id", "r1"));
        RespondStored();

        await _store.CreateBytesAsync("images_labeled_by_folder/cat/same.jpg", "body"u8.ToArray());

        var puts = _server.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal(2, puts.Count);
        Assert.All(puts, p => Assert.Equal(("*", "body"), (p.Header("If-None-Match"), p.Body)));
    }

    [Fact]
    public async Task ACreateOnlyCopySendsIfNoneMatchStarAndATakenDestinationIsAnObjectThatExists()
    {
        _server.Respond(200, CopyResult, ("x-amz-request-id", "r1"));
        _server.Respond(200, string.Empty, ("ETag", "\"0a0b\""), ("Content-Length", "0"), ("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT"));
        _server.Respond(412, PreconditionFailed, ("x-amz-request-id", "r2"));

        await _store.CreateCopyAsync("images_for_detection/a.jpg", "images_labeled_by_folder/cat/loop-a.jpg");
        var refused = await Assert.ThrowsAsync<ObjectExistsException>(
            () => _store.CreateCopyAsync("images_for_detection/a.jpg", "images_labeled_by_folder/cat/loop-a.jpg"));

        var copies = _server.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal(2, copies.Count);
        Assert.All(copies, c => Assert.Equal("*", c.Header("If-None-Match")));
        Assert.All(copies, c => Assert.Contains("images_for_detection/a.jpg", Uri.UnescapeDataString(c.Header("x-amz-copy-source") ?? ""), StringComparison.Ordinal));
        Assert.Equal("images_labeled_by_folder/cat/loop-a.jpg", refused.Key);
    }

    /// <summary>Scripts S3's answers to a stored PutObject and the HeadObject that follows it.</summary>
    private void RespondStored()
    {
        _server.Respond(200, string.Empty, ("ETag", "\"0a0b\""), ("x-amz-request-id", "r1"));
        _server.Respond(200, string.Empty, ("ETag", "\"0a0b\""), ("Content-Length", "0"), ("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT"));
    }
}
