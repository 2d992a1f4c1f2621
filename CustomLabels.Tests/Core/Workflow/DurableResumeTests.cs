using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>A host stopped in the middle of an execution; a new host on the same database finishes it.</summary>
public sealed class DurableResumeTests : IDisposable
{
    private const string TaskWaitTask = """
        {
          "StartAt": "Before",
          "States": {
            "Before": { "Type": "Task", "Resource": "${BeforeFunctionArn}", "ResultPath": "$.before", "Next": "Pause" },
            "Pause": { "Type": "Wait", "SecondsPath": "$.pause", "Next": "After" },
            "After": { "Type": "Task", "Resource": "${AfterFunctionArn}", "ResultPath": "$.after", "End": true }
          }
        }
        """;

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task HostStoppedDuringAWaitResumesOnThePersistedTimerWithoutRunningTheCompletedTaskAgain()
    {
        var before = new TestHandler("Before", _ => JsonValue.Create("done"));
        var after = new TestHandler("After", _ => JsonValue.Create("done"));
        string id;
        await using (var first = await WorkflowTestHost.StartAsync(_data.Path, TaskWaitTask, [before, after]))
        {
            id = (await first.Workflow.StartExecutionAsync("""{"pause": 1}""")).ExecutionId;
            await first.WaitUntilAsync(async () => (await first.EventTypesAsync(id)).Contains("WaitStateEntered"));
            await first.StopAsync();
            Assert.Equal(ExecutionStatus.Running, (await first.Workflow.DescribeExecutionAsync(id))!.Summary.Status);
        }

        Assert.Equal((1, 0), (before.Calls, after.Calls));
        await using var second = await WorkflowTestHost.StartAsync(_data.Path, TaskWaitTask, [before, after]);
        var run = await second.Workflow.WaitForCompletionAsync(id, WorkflowTestHost.Patience);

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.Equal((1, 1), (before.Calls, after.Calls));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"pause": 1, "before": "done", "after": "done"}"""), JsonNode.Parse(run.Output!)), run.Output);
        var history = await second.Workflow.GetExecutionHistoryAsync(id);
        Assert.Single(history, e => e.Type == "WaitStateEntered");
        Assert.Single(history, e => e.Type == "TaskSucceeded" && e.StateName == "Before");
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(e => e.Id));
    }

    [Fact]
    public async Task HostStoppedDuringATaskRunsOnlyThatTaskAgain()
    {
        var before = new TestHandler("Before", _ => JsonValue.Create("done"));
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hang = true;
        var after = new TestHandler("After", async (_, _, token) =>
        {
            if (Volatile.Read(ref hang))
            {
                inside.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            }

            return JsonValue.Create("done");
        });

        string id;
        await using (var first = await WorkflowTestHost.StartAsync(_data.Path, TaskWaitTask, [before, after]))
        {
            id = (await first.Workflow.StartExecutionAsync("""{"pause": 0}""")).ExecutionId;
            await inside.Task.WaitAsync(WorkflowTestHost.Patience);
            await first.StopAsync();
        }

        Volatile.Write(ref hang, false);
        await using var second = await WorkflowTestHost.StartAsync(_data.Path, TaskWaitTask, [before, after]);
        var run = await second.Workflow.WaitForCompletionAsync(id, WorkflowTestHost.Patience);

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.Equal(1, before.Calls);
        Assert.Equal(2, after.Calls);
        var types = await second.EventTypesAsync(id);
        Assert.Equal(3, types.Count(t => t == "TaskScheduled"));
        Assert.Equal("ExecutionSucceeded", types[^1]);
    }

    [Fact]
    public async Task ExecutionsStartedBeforeTheRunnerStartsRunWhenItDoes()
    {
        var handler = new TestHandler("Before", _ => JsonValue.Create(1));
        await using var host = WorkflowTestHost.Create(_data.Path, """
            { "StartAt": "Before", "States": { "Before": { "Type": "Task", "Resource": "${BeforeFunctionArn}", "End": true } } }
            """, [handler]);

        var started = await host.Workflow.StartExecutionAsync("{}");
        Assert.Equal(0, handler.Calls);
        await host.StartAsync();

        Assert.Equal(ExecutionStatus.Succeeded, (await host.Workflow.WaitForCompletionAsync(started.ExecutionId, WorkflowTestHost.Patience)).Summary.Status);
        Assert.Equal(1, handler.Calls);
    }
}
