using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Workflow;
using CustomLabels.Lambda;
using CustomLabels.Tests.Core.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Tests.Infra;

/// <summary>
/// The Lambda entry point calls the same task handlers by name through the Lambda Runtime API. The handlers are the
/// real ones on the AWS backend (the table in dynalite, SNS a loopback stand-in); the Runtime API is a loopback
/// stand-in for Lambda's.
/// </summary>
[Collection(BotocoreCollection.Name)]
public sealed class LambdaFunctionTests(DynaliteFixture dynalite) : IAsyncLifetime
{
    private IHost _host = null!;
    private FakeAwsServer _sns = null!;
    private Amazon.DynamoDBv2.AmazonDynamoDBClient _dynamo = null!;
    private WebApplication _runtimeApi = null!;
    private Uri _runtimeUri = null!;
    private readonly ConcurrentQueue<(string RequestId, string Body)> _events = new();
    private readonly ConcurrentDictionary<string, (string Path, string Body, string? ErrorType)> _results = new();
    private readonly TaskCompletionSource _allAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _expected;

    public async Task InitializeAsync()
    {
        _sns = await FakeAwsServer.StartAsync();
        _dynamo = AwsTest.DynamoDb(dynalite.Server.Url);
        var table = await AwsTest.CreateTableAsync(_dynamo);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = AwsTest.Settings(table);
        settings["CustomLabels:Aws:ServiceUrls:DynamoDb"] = dynalite.Server.Url;
        settings["CustomLabels:Aws:ServiceUrls:Sns"] = _sns.BaseAddress.ToString();
        settings["CustomLabels:Aws:ServiceUrls:StepFunctions"] = _sns.BaseAddress.ToString();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<Amazon.Runtime.AWSCredentials>(AwsTest.Credentials);
        builder.AddCustomLabelsCore();
        _host = builder.Build();
        await _host.StartAsync();

        var api = WebApplication.CreateSlimBuilder();
        api.Logging.ClearProviders();
        api.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _runtimeApi = api.Build();
        _runtimeApi.MapGet("/2018-06-01/runtime/invocation/next", async (HttpContext context) =>
        {
            if (!_events.TryDequeue(out var next))
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted); // as Lambda: wait for the next event
                return;
            }

            context.Response.Headers["Lambda-Runtime-Aws-Request-Id"] = next.RequestId;
            context.Response.Headers["Lambda-Runtime-Deadline-Ms"] = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsync(next.Body);
        });
        _runtimeApi.MapPost("/2018-06-01/runtime/invocation/{id}/{kind}", async (HttpContext context, string id, string kind) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            _results[id] = (kind, await reader.ReadToEndAsync(), context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault());
            if (_results.Count == _expected)
            {
                _allAnswered.TrySetResult();
            }

            return Results.Accepted();
        });
        await _runtimeApi.StartAsync();
        var address = _runtimeApi.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _runtimeUri = new Uri(address + "/");
    }

    public async Task DisposeAsync()
    {
        await _runtimeApi.StopAsync();
        await _runtimeApi.DisposeAsync();
        await _host.StopAsync();
        _host.Dispose();
        _dynamo.Dispose();
        await _sns.DisposeAsync();
    }

    [Fact]
    public async Task TheFunctionRunsTheNamedHandlerWithTheExecutionContextAndReportsFailuresAsErrorTypes()
    {
        var notify = new JsonObject
        {
            ["input"] = new JsonObject { ["topic"] = "Operator", ["subject"] = "Model v2 deployed", ["message"] = "F1 0.91", ["severity"] = "success" },
            ["context"] = new JsonObject { ["executionId"] = "arn:aws:states:us-east-1:123456789012:execution:customlabels:e1", ["stateName"] = "NotifyDeployed", ["attempt"] = 0 },
        };
        var retried = notify.DeepClone().AsObject();
        retried["context"]!["attempt"] = 1; // Step Functions retrying the step after a lost response
        var badContext = notify.DeepClone().AsObject();
        badContext["context"]!["executionId"] = 7;
        _events.Enqueue(("r1", notify.ToJsonString()));
        _events.Enqueue(("r2", retried.ToJsonString()));
        _events.Enqueue(("r3", """{"topic":"Nobody","subject":"x","message":"y","severity":"info"}"""));
        _events.Enqueue(("r4", "{not json"));
        _events.Enqueue(("r5", badContext.ToJsonString()));
        _expected = 5;
        _sns.Respond(200, "<PublishResponse><PublishResult><MessageId>m1</MessageId></PublishResult></PublishResponse>");
        using var http = new HttpClient();
        using var stop = new CancellationTokenSource();
        var handlers = _host.Services.GetServices<ITaskHandler>().ToList();
        var runtime = new LambdaRuntime(http, _runtimeUri, NullLogger<LambdaRuntime>.Instance);

        var loop = runtime.RunAsync((input, output, id, token) => TaskFunction.InvokeAsync(handlers, "Notify", input, output, id, NullLogger.Instance, token), stop.Token);
        await _allAnswered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.Equal("response", _results["r1"].Path);
        Assert.Equal("response", _results["r2"].Path);
        var feed = await _host.Services.GetRequiredService<INotifier>().QueryAsync(new NotificationQuery());
        var published = Assert.Single(feed.Items); // the same step, retried, publishes once
        Assert.Equal("Model v2 deployed", published.Subject);
        Assert.Equal("arn:aws:states:us-east-1:123456789012:execution:customlabels:e1", published.ExecutionId);
        Assert.Single(_sns.Requests);
        Assert.Equal(("error", "CustomLabels.InvalidInput"), (_results["r3"].Path, _results["r3"].ErrorType));
        Assert.Equal(("error", "CustomLabels.InvalidInput"), (_results["r4"].Path, _results["r4"].ErrorType));
        Assert.Equal("CustomLabels.InvalidInput", JsonNode.Parse(_results["r4"].Body)!["errorType"]!.GetValue<string>());
        Assert.Equal(("error", "CustomLabels.InvalidInput"), (_results["r5"].Path, _results["r5"].ErrorType));
        Assert.Contains("executionId", JsonNode.Parse(_results["r5"].Body)!["errorMessage"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailureOfAnyKindIsReportedAsTheInvocationsErrorAndTheFunctionServesTheNextOne()
    {
        var created = new JsonObject
        {
            ["version"] = "0", ["detail-type"] = WorkflowEvents.ObjectCreatedDetailType, ["source"] = "aws.s3",
            ["detail"] = new JsonObject
            {
                ["bucket"] = new JsonObject { ["name"] = AwsTest.Bucket },
                ["object"] = new JsonObject { ["key"] = "images_for_detection/a.jpg", ["size"] = 3, ["etag"] = "0123456789abcdef0123456789abcdef" },
            },
        }.ToJsonString();
        _events.Enqueue(("s1", created));
        _events.Enqueue(("s2", created));
        _expected = 2;
        _sns.RespondError(400, "AccessDeniedException", "The role may not start executions.");
        _sns.Respond(200, """{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:customlabels:x","startDate":1700000000}""");
        using var http = new HttpClient();
        using var stop = new CancellationTokenSource();
        var workflow = _host.Services.GetRequiredService<IWorkflowService>();
        var runtime = new LambdaRuntime(http, _runtimeUri, NullLogger<LambdaRuntime>.Instance);

        var loop = runtime.RunAsync((input, output, _, token) => TaskFunction.StartExecutionAsync(workflow, input, output, token), stop.Token);
        await _allAnswered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.Equal(("error", "UnauthorizedAccessException"), (_results["s1"].Path, _results["s1"].ErrorType));
        Assert.Contains("may not start executions", JsonNode.Parse(_results["s1"].Body)!["errorMessage"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("response", _results["s2"].Path);
    }

    [Fact]
    public async Task AnUnknownHandlerNameIsAnError()
    {
        using var input = new MemoryStream("{}"u8.ToArray());
        using var output = new MemoryStream();

        var error = await Assert.ThrowsAsync<TaskFunctionException>(() =>
            TaskFunction.InvokeAsync(_host.Services.GetServices<ITaskHandler>(), "NoSuchStep", input, output, "r9", NullLogger.Instance, CancellationToken.None));

        Assert.Equal("CustomLabels.UnknownHandler", error.ErrorType);
    }
}
