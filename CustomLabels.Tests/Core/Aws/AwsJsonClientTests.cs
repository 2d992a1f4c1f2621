using System.Net;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Notifications.Aws;

namespace CustomLabels.Tests.Core.Aws;

[Collection(BotocoreCollection.Name)]
public sealed class AwsJsonClientTests(BotocoreChecker botocore) : IAsyncLifetime
{
    private FakeAwsServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAwsServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>AWS's published SigV4 examples for S3 (GET object with a range, GET ?lifecycle, GET ?max-keys&amp;prefix).</summary>
    [Theory]
    [InlineData("https://examplebucket.s3.amazonaws.com/test.txt", "bytes=0-9", "host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")]
    [InlineData("https://examplebucket.s3.amazonaws.com/?lifecycle", null, "host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")]
    [InlineData("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", null, "host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")]
    public async Task TheSdkSignerReproducesAwsPublishedSignatures(string url, string? range, string signedHeaders, string signature)
    {
        var request = new AWSSigningRequest { HttpMethod = HttpMethod.Get, RequestUri = new Uri(url) };
        if (range is not null)
        {
            request.Headers["Range"] = range;
        }

        var result = await AWSSigV4Signer.SignAsync(
            request,
            new AWSSigV4Parameters
            {
                Credentials = new BasicAWSCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                Region = Amazon.RegionEndpoint.USEast1,
                Service = "s3",
                SignPayload = true,
                SignedAt = new DateTime(2013, 5, 24, 0, 0, 0, DateTimeKind.Utc),
            },
            CancellationToken.None);

        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders={signedHeaders}, Signature={signature}",
            result.Headers["Authorization"]);
    }

    [Fact]
    public async Task EveryRequestCarriesASignatureThatBotocoreComputesTheSame()
    {
        var client = AwsTest.Client(AwsService.StepFunctions, _server.BaseAddress);
        _server.Respond(200, """{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:customlabels:x","status":"RUNNING","startDate":1700000000}""");

        await client.CallAsync("DescribeExecution", new JsonObject { ["executionArn"] = "arn:aws:states:us-east-1:123456789012:execution:customlabels:x" }, default);

        var request = Assert.Single(_server.Requests);
        var authorization = request.Header("Authorization")!;
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={AwsTest.AccessKey}/", authorization, StringComparison.Ordinal);
        Assert.Contains("/us-east-1/states/aws4_request", authorization, StringComparison.Ordinal);
        Assert.Contains("x-amz-target", authorization, StringComparison.Ordinal);
        var expected = await botocore.SignatureAsync(request, "states", AwsTest.Region, AwsTest.AccessKey, AwsTest.SecretKey);
        Assert.EndsWith($"Signature={expected}", authorization, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every service the hand-written client calls, with temporary credentials as a Lambda function's role gives them:
    /// the session token travels in X-Amz-Security-Token, is signed, and the signature is botocore's over the same
    /// request (JSON 1.0 and 1.1, REST-JSON with an escaped path and a query string, and a Query form body).
    /// </summary>
    [Theory]
    [InlineData("rekognition")]
    [InlineData("states")]
    [InlineData("events")]
    [InlineData("sagemaker")]
    [InlineData("sns")]
    public async Task WithASessionTokenEveryServicesRequestIsSignedAsBotocoreSignsIt(string signingName)
    {
        const string token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token=";
        var service = new[] { AwsService.Rekognition, AwsService.StepFunctions, AwsService.EventBridge, AwsService.A2IRuntime, AwsService.Sns }
            .Single(s => s.SigningName == signingName);
        var client = new AwsJsonClient(service, AwsTest.Region, _server.BaseAddress, new SessionAWSCredentials(AwsTest.AccessKey, AwsTest.SecretKey, token),
            AwsTest.Http, AwsTest.Options().Retry, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        switch (service.Protocol)
        {
            case AwsProtocol.Json:
                _server.Respond(200, "{}");
                await client.CallAsync(service == AwsService.EventBridge ? "DescribeRule" : "DescribeProjects", new JsonObject { ["Name"] = "customlabels-training" }, default);
                break;
            case AwsProtocol.RestJson:
                _server.Respond(200, """{"HumanLoopSummaries":[]}""");
                await client.CallRestAsync(HttpMethod.Get, $"/human-loops?FlowDefinitionArn={Uri.EscapeDataString(AwsTest.FlowDefinitionArn)}&SortOrder=Descending&MaxResults=100", null, default);
                break;
            default:
                _server.Respond(200, """<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>""");
                await client.CallQueryAsync("Publish", [new("TopicArn", AwsTest.TopicArn), new("Message", "Model v2 deployed: F1 0.91 >= 0.8 (ümlaut & space)")], default);
                break;
        }

        var request = Assert.Single(_server.Requests);
        Assert.Equal(token, request.Header("X-Amz-Security-Token"));
        var authorization = request.Header("Authorization")!;
        Assert.Contains($"/{AwsTest.Region}/{signingName}/aws4_request", authorization, StringComparison.Ordinal);
        Assert.Contains("x-amz-security-token", authorization.Split("SignedHeaders=")[1].Split(',')[0].Split(';'));
        var expected = await botocore.SignatureAsync(request, signingName, AwsTest.Region, AwsTest.AccessKey, AwsTest.SecretKey, token);
        Assert.EndsWith($"Signature={expected}", authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThrottlingIsRetriedWithBackoffAndEachAttemptIsSignedAgain()
    {
        var client = AwsTest.Client(AwsService.Rekognition, _server.BaseAddress);
        _server.RespondError(400, "ThrottlingException", "Rate exceeded");
        _server.RespondError(400, "ProvisionedThroughputExceededException", "Slow down");
        _server.Respond(200, """{"Status":"STOPPING"}""");

        var answer = await client.CallAsync("StopProjectVersion", new JsonObject { ["ProjectVersionArn"] = "arn" }, default);

        Assert.Equal("STOPPING", answer["Status"]!.GetValue<string>());
        Assert.Equal(3, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.StartsWith("AWS4-HMAC-SHA256", r.Header("Authorization"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerErrorsStopAfterTheLastAttemptWithTheServicesCode()
    {
        var client = AwsTest.Client(AwsService.Rekognition, _server.BaseAddress);
        for (var i = 0; i < 3; i++)
        {
            _server.Respond(503, "", ("x-amzn-ErrorType", "ServiceUnavailableException:http://internal.amazon.com/"));
        }

        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            client.CallAsync("StopProjectVersion", new JsonObject { ["ProjectVersionArn"] = "arn" }, default));

        Assert.Equal("ServiceUnavailableException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task ClientErrorsAreNotRetriedAndMapToTheProductsExceptions()
    {
        var client = AwsTest.Client(AwsService.Rekognition, _server.BaseAddress);
        _server.RespondError(400, "ResourceNotFoundException", "No such version.");
        _server.RespondError(400, "ResourceInUseException", "The version is starting.");
        _server.RespondError(400, "AccessDeniedException", "Not allowed.");

        var missing = await Assert.ThrowsAsync<AwsResourceNotFoundException>(() => client.CallAsync("StopProjectVersion", [], default));
        var busy = await Assert.ThrowsAsync<AwsConflictException>(() => client.CallAsync("StopProjectVersion", [], default));
        var denied = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => client.CallAsync("StopProjectVersion", [], default));

        Assert.Equal("No such version.", missing.Message);
        Assert.Equal("The version is starting.", busy.Message);
        Assert.Contains("Not allowed.", denied.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task SnsPublishIsTheQueryRequestBotocoreSendsAndQueryErrorsAreRead()
    {
        var client = AwsTest.Client(AwsService.Sns, _server.BaseAddress);
        _server.Respond(200, """
            <PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>
            <ResponseMetadata><RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>
            """);
        _server.Respond(400, """
            <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code>
            <Message>Invalid parameter: Subject</Message></Error><RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId></ErrorResponse>
            """);
        var notification = new Notification(NotificationTopic.Operator, "Model v2 deployed", "F1 0.91 >= 0.8", DateTimeOffset.UtcNow, "success");

        var answer = await client.CallQueryAsync("Publish", SnsNotifier.PublishParameters(AwsTest.TopicArn, notification), default);
        var refused = await Assert.ThrowsAsync<AwsInvalidRequestException>(() =>
            client.CallQueryAsync("Publish", SnsNotifier.PublishParameters(AwsTest.TopicArn, notification), default));

        Assert.Contains("94f20ce6", answer.ToString(), StringComparison.Ordinal);
        Assert.Equal("Invalid parameter: Subject", refused.Message);
        await botocore.AssertMatchesModelAsync("sns", "Publish", _server.Requests[0]);
    }

    [Fact]
    public async Task SnsParameterValueInvalidIsRefusedInput()
    {
        // botocore: SNS's InvalidParameterValueException has the wire code ParameterValueInvalid.
        var client = AwsTest.Client(AwsService.Sns, _server.BaseAddress);
        _server.Respond(400, """
            <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>ParameterValueInvalid</Code>
            <Message>Invalid parameter: Message too long</Message></Error><RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId></ErrorResponse>
            """);
        var notification = new Notification(NotificationTopic.Operator, "Model v2 deployed", "F1 0.91 >= 0.8", DateTimeOffset.UtcNow, "success");

        var refused = await Assert.ThrowsAsync<AwsInvalidRequestException>(() =>
            client.CallQueryAsync("Publish", SnsNotifier.PublishParameters(AwsTest.TopicArn, notification), default));

        Assert.Equal("Invalid parameter: Message too long", refused.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task SnsKmsThrottlingIsRetried()
    {
        var client = AwsTest.Client(AwsService.Sns, _server.BaseAddress);
        _server.Respond(400, """
            <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>KMSThrottling</Code>
            <Message>Rate exceeded for the topic's KMS key</Message></Error><RequestId>1</RequestId></ErrorResponse>
            """);
        _server.Respond(200, "<PublishResponse><PublishResult><MessageId>m2</MessageId></PublishResult></PublishResponse>");
        var notification = new Notification(NotificationTopic.Operator, "Model v2 deployed", "F1 0.91 >= 0.8", DateTimeOffset.UtcNow, "success");

        var answer = await client.CallQueryAsync("Publish", SnsNotifier.PublishParameters(AwsTest.TopicArn, notification), default);

        Assert.Contains("m2", answer.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task EventBridgeConcurrentModificationIsRetried()
    {
        var client = AwsTest.Client(AwsService.EventBridge, _server.BaseAddress);
        _server.RespondError(400, "ConcurrentModificationException", "Another request changed the rule.");
        _server.Respond(200, """{"RuleArn":"arn:aws:events:us-east-1:123456789012:rule/customlabels-training"}""");

        var answer = await client.CallAsync("PutRule", new JsonObject { ["Name"] = "customlabels-training", ["ScheduleExpression"] = "rate(12 hours)" }, default);

        Assert.NotNull(answer["RuleArn"]);
        Assert.Equal(2, _server.Requests.Count);
        await botocore.AssertMatchesModelAsync("events", "PutRule", _server.Requests[1]);
    }

    [Fact]
    public async Task ARequestThatBreaksTheModelIsCaughtByTheCheck()
    {
        var client = AwsTest.Client(AwsService.StepFunctions, _server.BaseAddress);
        _server.Respond(200, "{}");

        await client.CallAsync("StartExecution", new JsonObject { ["input"] = 5 }, default);

        var verdict = await botocore.CheckAsync("stepfunctions", "StartExecution", Assert.Single(_server.Requests));
        Assert.False(verdict["ok"]!.GetValue<bool>());
        Assert.Contains("stateMachineArn", verdict["errors"]!.ToJsonString(), StringComparison.Ordinal);
    }
}
