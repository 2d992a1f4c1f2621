using System.Net;
using System.Text.Json.Nodes;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;
using CustomLabels.Tests.Core.Aws;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

/// <summary>
/// The app with its runs served by the Step Functions adapter, against a fake Step Functions that answers in AWS's
/// error shapes: the adapter's not-found, conflict and validation errors reach the API as 404, 409 and 400, as the
/// embedded runner's do.
/// </summary>
public sealed class AwsAdapterProblemsTests : IAsyncLifetime
{
    private FakeAwsServer _stepFunctions = null!;
    private RunningApp _app = null!;
    private HttpClient _operator = null!;

    public async Task InitializeAsync()
    {
        _stepFunctions = await FakeAwsServer.StartAsync();
        _app = await RunningApp.StartAsync(
            new Dictionary<string, string> { ["CustomLabels:BootstrapApiKey"] = RunningApp.BootstrapKey },
            configure: builder => builder.Services.AddSingleton<IWorkflowService>(new StepFunctionsWorkflowService(
                AwsTest.Client(AwsService.StepFunctions, _stepFunctions.BaseAddress),
                Microsoft.Extensions.Options.Options.Create(AwsTest.Options()),
                TimeProvider.System)));
        _operator = _app.Client(RunningApp.BootstrapKey);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _stepFunctions.DisposeAsync();
    }

    [Fact]
    public async Task AHistoryThatStepFunctionsNoLongerHasIs404()
    {
        // The run is described, then its history is gone (Step Functions keeps a finished run for 90 days).
        const string Arn = "arn:aws:states:us-east-1:123456789012:execution:customlabels:detection-gone";
        _stepFunctions
            .Respond(200, $$"""{"executionArn":"{{Arn}}","stateMachineArn":"{{AwsTest.StateMachineArn}}","name":"detection-gone","status":"SUCCEEDED","startDate":1700000000,"input":"{}"}""")
            .RespondError(400, "ExecutionDoesNotExist", $"Execution Does Not Exist: '{Arn}'");

        using var response = await _operator.GetAsync($"/api/executions/{Uri.EscapeDataString(Arn)}/history");

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "detection-gone");
        Assert.Equal(
            ["AWSStepFunctions.DescribeExecution", "AWSStepFunctions.GetExecutionHistory"],
            _stepFunctions.Requests.Select(r => r.Header("X-Amz-Target")));
    }

    [Fact]
    public async Task AStartThatStepFunctionsRefusesAsAlreadyExistingIs409()
    {
        _stepFunctions.RespondError(400, "ExecutionAlreadyExists", "Execution Already Exists");

        using var response = await _operator.PostAsync("/api/training", null);

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "training-");
        Assert.Equal("AWSStepFunctions.StartExecution", Assert.Single(_stepFunctions.Requests).Header("X-Amz-Target"));
    }

    [Fact]
    public async Task AnExecutionIdStepFunctionsRefusesAsInvalidIs400()
    {
        _stepFunctions.RespondError(400, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: not-an-arn'");

        using var response = await _operator.GetAsync("/api/executions/not-an-arn/history");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "not-an-arn");
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailPart)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.Contains(detailPart, (string)problem["detail"]!, StringComparison.Ordinal);
    }
}
