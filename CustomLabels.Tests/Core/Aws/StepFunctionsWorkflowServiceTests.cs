using System.Text.Json.Nodes;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;

namespace CustomLabels.Tests.Core.Aws;

[Collection(BotocoreCollection.Name)]
public sealed class StepFunctionsWorkflowServiceTests(BotocoreChecker botocore) : IAsyncLifetime
{
    private const string ExecutionArn = "arn:aws:states:us-east-1:123456789012:execution:customlabels:5a1b";
    private FakeAwsServer _server = null!;
    private StepFunctionsWorkflowService _workflow = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeAwsServer.StartAsync();
        _workflow = new StepFunctionsWorkflowService(
            AwsTest.Client(AwsService.StepFunctions, _server.BaseAddress),
            Microsoft.Extensions.Options.Options.Create(AwsTest.Options()),
            TimeProvider.System);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task StartExecutionNamesTheRunAfterItsBranch()
    {
        _server.Respond(200, $$"""{"executionArn":"{{ExecutionArn}}","startDate":1700000000.25}""");

        var started = await _workflow.StartExecutionAsync(WorkflowEvents.Scheduled("training", force: true).ToJsonString());

        Assert.Equal(ExecutionArn, started.ExecutionId);
        Assert.Equal(WorkflowEvents.Branches.Training, started.Branch);
        Assert.StartsWith("training-", started.Name, StringComparison.Ordinal);
        var request = Assert.Single(_server.Requests);
        await botocore.AssertMatchesModelAsync("stepfunctions", "StartExecution", request);
        Assert.Equal("Scheduled Event", JsonNode.Parse(JsonNode.Parse(request.Body)!["input"]!.GetValue<string>())!["detail-type"]!.GetValue<string>());
    }

    [Fact]
    public async Task StartingANameThatHasRunReturnsThatExecution()
    {
        var info = new CustomLabels.Core.Storage.ObjectInfo("images_for_detection/a.jpg", 5, DateTimeOffset.UtcNow, "0cc175b9c0f1b6a831c399e269772661", new Dictionary<string, string>());
        var eventBridge = JsonNode.Parse($$$"""
            {"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3","account":"123456789012",
             "time":"2026-11-29T10:00:00Z","region":"us-east-1","resources":["arn:aws:s3:::{{{AwsTest.Bucket}}}"],
             "detail":{"version":"0","bucket":{"name":"{{{AwsTest.Bucket}}}"},"object":{"key":"{{{info.Key}}}","size":5,"etag":"{{{info.ETag}}}","sequencer":"00617F08299329D189"},
                       "request-id":"N4N7GDK58NMKJ12R","requester":"123456789012","reason":"PutObject"}}
            """);
        var (input, name) = ObjectCreatedExecutions.For(eventBridge);
        var arn = _workflow.ExecutionArnOf(name);
        _server.Respond(400, """{"__type":"com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists","message":"Execution Already Exists"}""");
        _server.Respond(200, new JsonObject
        {
            ["executionArn"] = arn, ["stateMachineArn"] = AwsTest.StateMachineArn, ["name"] = name, ["status"] = "SUCCEEDED",
            ["startDate"] = 1700000000, ["stopDate"] = 1700000002, ["input"] = input,
        }.ToJsonString());

        var started = await ObjectCreatedExecutions.StartAsync(_workflow, eventBridge, CancellationToken.None);

        // The event starts exactly what the HTTP API starts for the image it stored.
        Assert.Equal(WorkflowEvents.ObjectCreated(AwsTest.Bucket, info).ToJsonString(), input);
        Assert.Equal(ExecutionNames.ForObject(info.Key, info.ETag), name);
        Assert.Equal((arn, ExecutionStatus.Succeeded, WorkflowEvents.Branches.Detection), (started.ExecutionId, started.Status, started.Branch));
        Assert.Equal("arn:aws:states:us-east-1:123456789012:execution:customlabels:" + name, arn);
        await botocore.AssertMatchesModelAsync("stepfunctions", "StartExecution", _server.Requests[0]);
        await botocore.AssertMatchesModelAsync("stepfunctions", "DescribeExecution", _server.Requests[1]);
    }

    [Fact]
    public async Task ListExecutionsListsARunPendingRedriveAndKeepsAnUnknownStatusAsText()
    {
        string Run(string name, string status) =>
            $$"""{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:customlabels:{{name}}","stateMachineArn":"{{AwsTest.StateMachineArn}}","name":"{{name}}","status":"{{status}}","startDate":1700000000}""";
        _server.Respond(200, $$"""{"executions":[{{Run("training-a", "PENDING_REDRIVE")}},{{Run("training-b", "PAUSED_BY_A_LATER_RELEASE")}},{{Run("training-c", "SUCCEEDED")}}]}""");

        var page = await _workflow.ListExecutionsAsync(new ExecutionQuery());

        Assert.Equal([ExecutionStatus.PendingRedrive, ExecutionStatus.Other, ExecutionStatus.Succeeded], page.Executions.Select(e => e.Status));
        Assert.Equal("PAUSED_BY_A_LATER_RELEASE", page.Executions[1].StatusText);
        Assert.Null(page.Executions[0].StatusText);
        await botocore.AssertMatchesModelAsync("stepfunctions", "ListExecutions", _server.Requests[0]);
    }

    [Fact]
    public async Task EveryExecutionStatusInBotocoresModelIsKnown()
    {
        var known = Enum.GetValues<ExecutionStatus>().Where(s => s != ExecutionStatus.Other)
            .Select(s => System.Text.Json.JsonSerializer.Serialize(s).Trim('"')).Order();

        Assert.Equal((await botocore.EnumAsync("stepfunctions", "ExecutionStatus")).Order(), known);
    }

    [Fact]
    public void AnEventThatIsNotANewObjectIsRefused() =>
        Assert.Throws<ArgumentException>(() => ObjectCreatedExecutions.For(WorkflowEvents.Scheduled("training")));

    [Fact]
    public async Task ListExecutionsReadsBranchesFromNamesOrFromTheInputAndFiltersByStatus()
    {
        _server.Respond(200, $$"""
            {"executions":[
              {"executionArn":"arn:aws:states:us-east-1:123456789012:execution:customlabels:detection-1","stateMachineArn":"{{AwsTest.StateMachineArn}}","name":"detection-1","status":"SUCCEEDED","startDate":1700000010,"stopDate":1700000012},
              {"executionArn":"{{ExecutionArn}}","stateMachineArn":"{{AwsTest.StateMachineArn}}","name":"5a1b","status":"SUCCEEDED","startDate":1700000000,"stopDate":1700000001}],
             "nextToken":"more"}
            """);
        var input = WorkflowEvents.ParameterChanged("Minimum-F1-Score").ToJsonString();
        _server.Respond(200, new JsonObject
        {
            ["executionArn"] = ExecutionArn, ["stateMachineArn"] = AwsTest.StateMachineArn, ["name"] = "5a1b", ["status"] = "SUCCEEDED",
            ["startDate"] = 1700000000, ["stopDate"] = 1700000001, ["input"] = input, ["output"] = "{}",
        }.ToJsonString());

        var page = await _workflow.ListExecutionsAsync(new ExecutionQuery(Status: ExecutionStatus.Succeeded, MaxResults: 2));

        Assert.Equal(["detection", "parameter"], page.Executions.Select(e => e.Branch));
        Assert.Equal("more", page.NextToken);
        Assert.All(page.Executions, e => Assert.Equal(ExecutionStatus.Succeeded, e.Status));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000012), page.Executions[0].StopDate);
        await botocore.AssertMatchesModelAsync("stepfunctions", "ListExecutions", _server.Requests[0]);
        Assert.Equal("SUCCEEDED", JsonNode.Parse(_server.Requests[0].Body)!["statusFilter"]!.GetValue<string>());
        await botocore.AssertMatchesModelAsync("stepfunctions", "DescribeExecution", _server.Requests[1]);
    }

    [Fact]
    public async Task DescribeExecutionReturnsNullForAnUnknownExecution()
    {
        _server.Respond(400, """{"__type":"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist","message":"Execution Does Not Exist"}""");

        Assert.Null(await _workflow.DescribeExecutionAsync(ExecutionArn));
    }

    [Fact]
    public async Task AnUnknownExecutionsHistoryAndATakenNameFailAsTheEmbeddedRunnerDoes()
    {
        _server.Respond(400, """{"__type":"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist","message":"Execution Does Not Exist"}""");
        _server.Respond(400, """{"__type":"com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists","message":"Execution Already Exists"}""");

        var missing = await Assert.ThrowsAsync<ExecutionDoesNotExistException>(() => _workflow.GetExecutionHistoryAsync(ExecutionArn));
        var taken = await Assert.ThrowsAsync<ExecutionAlreadyExistsException>(() => _workflow.StartExecutionAsync(WorkflowEvents.Scheduled("training", force: true).ToJsonString()));

        Assert.Equal(ExecutionArn, missing.ExecutionId);
        Assert.StartsWith("training-", taken.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HistoryFollowsNextTokenAndReadsEachEventsDetails()
    {
        _server.Respond(200, """
            {"events":[
              {"timestamp":1700000000,"type":"ExecutionStarted","id":1,"previousEventId":0,"executionStartedEventDetails":{"input":"{}","roleArn":"arn:aws:iam::123456789012:role/x"}},
              {"timestamp":1700000000.1,"type":"TaskStateEntered","id":2,"previousEventId":1,"stateEnteredEventDetails":{"name":"Detect","input":"{\"a\":1}"}}],
             "nextToken":"t2"}
            """);
        _server.Respond(200, """
            {"events":[
              {"timestamp":1700000001,"type":"LambdaFunctionFailed","id":3,"previousEventId":2,"lambdaFunctionFailedEventDetails":{"error":"CustomLabels.NoRunningModel","cause":"No model version is running."}}]}
            """);

        var history = await _workflow.GetExecutionHistoryAsync(ExecutionArn);

        Assert.Equal(["ExecutionStarted", "TaskStateEntered", "LambdaFunctionFailed"], history.Select(e => e.Type));
        Assert.Equal("Detect", history[1].StateName);
        Assert.Equal("{\"a\":1}", history[1].Input);
        Assert.Equal("CustomLabels.NoRunningModel", history[2].Error);
        Assert.Equal(2, history[2].PreviousEventId);
        Assert.Equal("t2", JsonNode.Parse(_server.Requests[1].Body)!["nextToken"]!.GetValue<string>());
        foreach (var request in _server.Requests)
        {
            await botocore.AssertMatchesModelAsync("stepfunctions", "GetExecutionHistory", request);
        }
    }

    [Fact]
    public async Task WaitForCompletionPollsUntilTheExecutionStops()
    {
        var running = new JsonObject { ["executionArn"] = ExecutionArn, ["stateMachineArn"] = AwsTest.StateMachineArn, ["status"] = "RUNNING", ["startDate"] = 1700000000, ["input"] = "{}" };
        var failed = new JsonObject
        {
            ["executionArn"] = ExecutionArn, ["stateMachineArn"] = AwsTest.StateMachineArn, ["status"] = "FAILED", ["startDate"] = 1700000000,
            ["stopDate"] = 1700000003, ["input"] = "{}", ["error"] = "States.TaskFailed", ["cause"] = "boom",
        };
        _server.Respond(200, running.ToJsonString()).Respond(200, failed.ToJsonString());

        var detail = await _workflow.WaitForCompletionAsync(ExecutionArn, TimeSpan.FromSeconds(30));

        Assert.Equal(ExecutionStatus.Failed, detail.Summary.Status);
        Assert.Equal("States.TaskFailed", detail.Error);
        Assert.Equal("boom", detail.Cause);
        Assert.Equal(2, _server.Requests.Count);
    }
}
