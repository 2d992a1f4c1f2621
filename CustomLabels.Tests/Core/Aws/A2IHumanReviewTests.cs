using System.Text.Json.Nodes;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Review.Aws;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Tests.Core.Aws;

[Collection(BotocoreCollection.Name)]
public sealed class A2IHumanReviewTests(BotocoreChecker botocore, DynaliteFixture dynalite) : IAsyncLifetime, IDisposable
{
    private const string LoopName = "req-0001-low";
    private readonly TempDirectory _bucket = new();
    private FakeAwsServer _server = null!;
    private Amazon.DynamoDBv2.AmazonDynamoDBClient _dynamo = null!;
    private FileObjectStore _store = null!;
    private A2IHumanReview _review = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeAwsServer.StartAsync();
        _dynamo = AwsTest.DynamoDb(dynalite.Server.Url);
        var table = new DynamoDbTable(_dynamo, await AwsTest.CreateTableAsync(_dynamo));
        _store = new FileObjectStore(_bucket.Path, NullLogger<FileObjectStore>.Instance);
        _review = new A2IHumanReview(
            AwsTest.Client(AwsService.A2IRuntime, _server.BaseAddress),
            table,
            _store,
            Microsoft.Extensions.Options.Options.Create(AwsTest.Options(table.TableName)),
            TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dynamo.Dispose();
    }

    public void Dispose() => _bucket.Dispose();

    [Fact]
    public async Task StartHumanLoopSendsTheInputContentAndDescribeGivesItBack()
    {
        _server.Respond(404, """{"message":"Human loop not found"}""", ("x-amzn-ErrorType", "ResourceNotFoundException"));
        _server.Respond(200, """{"HumanLoopArn":"arn:aws:sagemaker:us-east-1:123456789012:human-loop/req-0001-low"}""");
        _server.Respond(200, DescribeAnswer("InProgress", null));
        var input = new HumanLoopInput("images_for_detection/a.jpg", [new CustomLabel("cat", 41.5f)], HumanLoopReason.LowConfidence, "req-0001", ["cat", "dog"]);

        var started = await _review.StartHumanLoopAsync(new StartHumanLoopRequest(LoopName, input));
        var described = await _review.DescribeHumanLoopAsync(LoopName);

        Assert.Equal(HumanLoopStatus.InProgress, started.Status);
        await botocore.AssertMatchesModelAsync("sagemaker-a2i-runtime", "DescribeHumanLoop", _server.Requests[0]);
        await botocore.AssertMatchesModelAsync("sagemaker-a2i-runtime", "StartHumanLoop", _server.Requests[1]);
        var content = JsonNode.Parse(JsonNode.Parse(_server.Requests[1].Body)!["HumanLoopInput"]!["InputContent"]!.GetValue<string>())!;
        Assert.Equal($"s3://{AwsTest.Bucket}/images_for_detection/a.jpg", content["taskObject"]!.GetValue<string>());
        Assert.Equal(["cat", "dog", HumanLoopOutput.NoneOfTheAbove], content["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.NotNull(described);
        Assert.Equal("images_for_detection/a.jpg", described.Input.ImageKey);
        Assert.Equal(["cat", "dog"], described.Input.KnownLabels);
        Assert.Equal("req-0001", described.Input.RequestId);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero), described.CreationTime);
    }

    [Fact]
    public async Task AnImageHasOneOpenLoopAndAnotherLoopForItIsAConflict()
    {
        var input = new HumanLoopInput("images_for_detection/a.jpg", [], HumanLoopReason.LowConfidence, "req-0001", ["cat"]) { ImageETag = "e1" };
        _server.Respond(404, """{"message":"not found"}""", ("x-amzn-ErrorType", "ResourceNotFoundException"));
        _server.Respond(200, """{"HumanLoopArn":"arn:aws:sagemaker:us-east-1:123456789012:human-loop/req-0001-low"}""");
        await _review.StartHumanLoopAsync(new StartHumanLoopRequest(LoopName, input));
        _server.Respond(200, DescribeAnswer("InProgress", null));
        _server.Respond(404, """{"message":"not found"}""", ("x-amzn-ErrorType", "ResourceNotFoundException"));
        _server.Respond(200, DescribeAnswer("InProgress", null));

        var open = await _review.FindOpenHumanLoopAsync("images_for_detection/copy-of-a.jpg", "e1");
        await Assert.ThrowsAsync<HumanLoopConflictException>(() =>
            _review.StartHumanLoopAsync(new StartHumanLoopRequest("req-0002-low", input with { RequestId = "req-0002" })));

        Assert.Equal(LoopName, open?.HumanLoopName);
        Assert.Equal(4, _server.Requests.Count(r => r.Method == "GET"));
        Assert.Single(_server.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task ACompletedLoopCarriesTheAnswerFromItsOutputInTheBucket()
    {
        var outputKey = $"a2i-human-loop-data/customlabels-review/2026/11/29/10/05/00/{LoopName}/output.json";
        await _store.PutBytesAsync(outputKey, System.Text.Encoding.UTF8.GetBytes($$$"""
            {"flowDefinitionArn":"{{{AwsTest.FlowDefinitionArn}}}","humanLoopName":"{{{LoopName}}}","inputContent":{"imageKey":"images_for_detection/a.jpg"},
             "humanAnswers":[{"answerContent":{"crowd-image-classifier":{"label":"dog"}},"submissionTime":"2026-11-29T10:05:00.000Z","workerId":"w-17"}]}
            """));
        _server.Respond(200, DescribeAnswer("Completed", $"s3://{AwsTest.Bucket}/{outputKey}"));

        var loop = await _review.DescribeHumanLoopAsync(LoopName);

        Assert.NotNull(loop);
        Assert.Equal(HumanLoopStatus.Completed, loop.Status);
        Assert.Equal(outputKey, loop.OutputKey);
        Assert.Equal("dog", loop.Answer?.Label);
        Assert.Equal("w-17", loop.AnsweredBy);
    }

    [Fact]
    public async Task TheInputContentCarriesEachLabelsRegionAndDescribeReadsItBack()
    {
        _server.Respond(404, """{"message":"Human loop not found"}""", ("x-amzn-ErrorType", "ResourceNotFoundException"));
        _server.Respond(200, """{"HumanLoopArn":"arn:aws:sagemaker:us-east-1:123456789012:human-loop/req-0001-low"}""");
        _server.Respond(200, DescribeAnswer("InProgress", null));
        var located = new CustomLabel("cat", 41.5f, new LabelGeometry(new BoundingBox(0.125f, 0.25f, 0.5f, 0.375f)));
        var input = new HumanLoopInput("images_for_detection/a.jpg", [located, new CustomLabel("dog", 7)], HumanLoopReason.LowConfidence, "req-0001", ["cat", "dog"]);

        await _review.StartHumanLoopAsync(new StartHumanLoopRequest(LoopName, input));
        var described = await _review.DescribeHumanLoopAsync(LoopName);

        await botocore.AssertMatchesModelAsync("sagemaker-a2i-runtime", "StartHumanLoop", _server.Requests[1]);
        var content = JsonNode.Parse(JsonNode.Parse(_server.Requests[1].Body)!["HumanLoopInput"]!["InputContent"]!.GetValue<string>())!;
        Assert.Equal(0.375f, (float)content["detectedLabels"]![0]!["Geometry"]!["BoundingBox"]!["Height"]!);
        Assert.Equal(input.Labels, described!.Input.Labels);
    }

    [Fact]
    public async Task ACompletedLoopsAnswerCarriesTheBoxOfItsBoundingBoxOutput()
    {
        var outputKey = $"a2i-human-loop-data/customlabels-review/2026/11/29/10/05/00/{LoopName}/output.json";
        await _store.PutBytesAsync(outputKey, System.Text.Encoding.UTF8.GetBytes($$$"""
            {"flowDefinitionArn":"{{{AwsTest.FlowDefinitionArn}}}","humanLoopName":"{{{LoopName}}}","inputContent":{"imageKey":"images_for_detection/a.jpg"},
             "humanAnswers":[{"answerContent":{"crowd-image-classifier":{"label":"dog"},
                "annotatedResult":{"boundingBoxes":[{"label":"dog","left":160,"top":60,"width":320,"height":240}],"inputImageProperties":{"width":640,"height":480} } },
              "submissionTime":"2026-11-29T10:05:00.000Z","workerId":"w-17"}]}
            """));
        _server.Respond(200, DescribeAnswer("Completed", $"s3://{AwsTest.Bucket}/{outputKey}"));

        var loop = await _review.DescribeHumanLoopAsync(LoopName);

        Assert.Equal("dog", loop!.Answer?.Label);
        Assert.Equal(new BoundingBox(0.25f, 0.125f, 0.5f, 0.5f), loop.Answer?.BoundingBox);
    }

    [Fact]
    public async Task ListHumanLoopsFiltersByStatusAcrossPages()
    {
        _server.Respond(200, """
            {"HumanLoopSummaries":[{"HumanLoopName":"a","HumanLoopStatus":"Completed","CreationTime":"2026-11-29T10:00:00Z","FlowDefinitionArn":"f"}],
             "NextToken":"n2"}
            """);
        _server.Respond(200, """
            {"HumanLoopSummaries":[{"HumanLoopName":"b","HumanLoopStatus":"InProgress","CreationTime":"2026-11-29T09:00:00Z","FlowDefinitionArn":"f"}]}
            """);

        var page = await _review.ListHumanLoopsAsync(new HumanLoopQuery(Status: HumanLoopStatus.InProgress, CreatedAfter: new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), MaxResults: 10));

        Assert.Equal(["b"], page.HumanLoops.Select(l => l.HumanLoopName));
        Assert.Null(page.NextToken);
        Assert.Contains("NextToken=n2", _server.Requests[1].PathAndQuery, StringComparison.Ordinal);
        foreach (var request in _server.Requests)
        {
            await botocore.AssertMatchesModelAsync("sagemaker-a2i-runtime", "ListHumanLoops", request);
        }
    }

    [Fact]
    public async Task StopAndDeleteAreTheModelsRequestsAndAnUnknownLoopIsNotFound()
    {
        _server.Respond(200, "{}").Respond(200, "{}");
        _server.Respond(404, """{"message":"not found"}""", ("x-amzn-ErrorType", "ResourceNotFoundException"));

        await _review.StopHumanLoopAsync(LoopName);
        await _review.DeleteHumanLoopAsync(LoopName);
        await Assert.ThrowsAsync<HumanLoopNotFoundException>(() => _review.StopHumanLoopAsync("missing"));
        _server.Respond(400, """{"message":"The human loop is not in progress"}""", ("x-amzn-ErrorType", "ValidationException"));
        await Assert.ThrowsAsync<HumanLoopConflictException>(() => _review.StopHumanLoopAsync(LoopName));

        await botocore.AssertMatchesModelAsync("sagemaker-a2i-runtime", "StopHumanLoop", _server.Requests[0]);
        await botocore.AssertMatchesModelAsync("sagemaker-a2i-runtime", "DeleteHumanLoop", _server.Requests[1]);
    }

    [Fact]
    public async Task AnsweringFromTheDashboardIsRefusedWithThePortalsAddress()
    {
        var error = await Assert.ThrowsAsync<NotSupportedException>(() =>
            _review.AnswerHumanLoopAsync(LoopName, HumanLoopAnswer.ForLabel("cat"), "alice"));

        Assert.Contains("https://abc123.labeling.us-east-1.sagemaker.aws", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task AnInvalidLoopNameIsRefusedBeforeAnyCall()
    {
        var input = new HumanLoopInput("images_for_detection/a.jpg", [], HumanLoopReason.Sampling, null, []);

        await Assert.ThrowsAsync<ArgumentException>(() => _review.StartHumanLoopAsync(new StartHumanLoopRequest("Not_Valid", input)));

        Assert.Empty(_server.Requests);
    }

    private static string DescribeAnswer(string status, string? outputUri) => new JsonObject
    {
        ["CreationTime"] = "2026-11-29T10:00:00Z",
        ["HumanLoopStatus"] = status,
        ["HumanLoopName"] = LoopName,
        ["HumanLoopArn"] = $"arn:aws:sagemaker:us-east-1:123456789012:human-loop/{LoopName}",
        ["FlowDefinitionArn"] = AwsTest.FlowDefinitionArn,
        ["HumanLoopOutput"] = outputUri is null ? null : new JsonObject { ["OutputS3Uri"] = outputUri },
    }.ToJsonString();
}
