using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

public sealed class ExecutionsApiTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;
    private readonly HttpClient _operator = fixture.App.Client(RunningApp.BootstrapKey);

    [Fact]
    public async Task TrainingOnDemandStartsATrainingRunWhoseHistoryIsServed()
    {
        using var started = await _operator.PostAsync("/api/training", null);

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var summary = await started.Content.ReadFromJsonAsync<JsonObject>();
        var id = (string)summary!["executionId"]!;
        Assert.Equal($"/api/executions/{id}", started.Headers.Location!.OriginalString);
        Assert.Equal("training", (string)summary["branch"]!);

        await _app.Services.GetRequiredService<IWorkflowService>().WaitForCompletionAsync(id, TimeSpan.FromMinutes(1));

        var described = await _operator.GetFromJsonAsync<JsonObject>($"/api/executions/{id}");
        Assert.NotEqual("RUNNING", (string)described!["summary"]!["status"]!);
        Assert.True((bool)described["input"]!["detail"]!["force"]!);
        var history = await _operator.GetFromJsonAsync<JsonArray>($"/api/executions/{id}/history");
        Assert.Equal("ExecutionStarted", (string)history![0]!["type"]!);
        Assert.Contains(history, e => ((string)e!["type"]!).StartsWith("Execution", StringComparison.Ordinal) && (string)e["type"]! != "ExecutionStarted");
        var listed = await _operator.GetFromJsonAsync<JsonObject>("/api/executions?branch=training&maxResults=1000");
        Assert.Contains(listed!["executions"]!.AsArray(), e => (string)e!["executionId"]! == id);
    }

    [Fact]
    public async Task AnUnknownExecutionIs404()
    {
        using var described = await _operator.GetAsync("/api/executions/no-such-run");
        using var history = await _operator.GetAsync("/api/executions/no-such-run/history");

        Assert.Equal(HttpStatusCode.NotFound, described.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, history.StatusCode);
    }

    [Fact]
    public async Task ExecutionsAreFilteredByStatusAndPaged()
    {
        var page = await _operator.GetFromJsonAsync<JsonObject>("/api/executions?status=succeeded&maxResults=1");

        Assert.True(page!["executions"]!.AsArray().Count <= 1);
        Assert.All(page["executions"]!.AsArray(), e => Assert.Equal("SUCCEEDED", (string)e!["status"]!));
    }
}
