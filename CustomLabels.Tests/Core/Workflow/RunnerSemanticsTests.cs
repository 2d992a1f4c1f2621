using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

public sealed class RunnerSemanticsTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task PassStateAppliesInputPathParametersResultPathAndOutputPath()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Shape",
              "States": {
                "Shape": {
                  "Type": "Pass",
                  "InputPath": "$.order",
                  "Parameters": { "id.$": "$.id", "first.$": "$.items[0]", "fixed": "yes", "nested": { "name.$": "$['the name']" } },
                  "ResultPath": "$.shaped",
                  "OutputPath": "$.shaped",
                  "End": true
                }
              }
            }
            """);

        var run = await host.RunAsync(JsonNode.Parse("""{"order": {"id": 7, "items": ["a", "b"], "the name": "x"}, "other": 1}""")!);

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"id": 7, "first": "a", "fixed": "yes", "nested": {"name": "x"}}"""), JsonNode.Parse(run.Output!)), run.Output);
    }

    [Fact]
    public async Task ResultPathMergesIntoTheRawInputAndNullPathsDiscard()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Add",
              "States": {
                "Add": { "Type": "Pass", "Result": { "n": 1 }, "ResultPath": "$.deep.result", "Next": "Discard" },
                "Discard": { "Type": "Pass", "Result": "ignored", "ResultPath": null, "Next": "Empty" },
                "Empty": { "Type": "Pass", "InputPath": null, "ResultPath": "$.seen", "End": true }
              }
            }
            """);

        var run = await host.RunAsync(JsonNode.Parse("""{"keep": true}""")!);

        // Empty: InputPath null gives {} as the effective input; ResultPath places it beside the raw input.
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"keep": true, "deep": {"result": {"n": 1}}, "seen": {}}"""), JsonNode.Parse(run.Output!)), run.Output);
    }

    [Fact]
    public async Task ParametersReadTheContextObjectAndIntrinsicFunctions()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Context",
              "States": {
                "Context": {
                  "Type": "Pass",
                  "Parameters": {
                    "execution.$": "$$.Execution.Id",
                    "state.$": "$$.State.Name",
                    "original.$": "$$.Execution.Input.x",
                    "text.$": "States.Format('{} has {} items', $.x, States.ArrayLength($.list))",
                    "parsed.$": "States.StringToJson($.json)",
                    "sum.$": "States.MathAdd($.x, 5)"
                  },
                  "End": true
                }
              }
            }
            """);

        var run = await host.RunAsync(JsonNode.Parse("""{"x": 2, "list": [1, 2, 3], "json": "{\"a\":1}"}""")!, name: "context-run");

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"execution": "context-run", "state": "Context", "original": 2, "text": "2 has 3 items", "parsed": {"a": 1}, "sum": 7}"""),
            JsonNode.Parse(run.Output!)), run.Output);
    }

    [Fact]
    public async Task TaskReceivesItsParametersAndResultSelectorShapesTheResult()
    {
        var handler = new TestHandler("Echo", input => new JsonObject { ["got"] = input?.DeepClone(), ["noise"] = 1 });
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": {
                  "Type": "Task",
                  "Resource": "${EchoFunctionArn}",
                  "Parameters": { "value.$": "$.value" },
                  "ResultSelector": { "echoed.$": "$.got.value" },
                  "ResultPath": "$.result",
                  "End": true
                }
              }
            }
            """, [handler]);

        var run = await host.RunAsync(JsonNode.Parse("""{"value": "v1", "keep": 1}""")!);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"value": "v1", "keep": 1, "result": {"echoed": "v1"}}"""), JsonNode.Parse(run.Output!)), run.Output);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task HistoryUsesStepFunctionsEventTypesInOrder()
    {
        var handler = new TestHandler("Echo", input => input);
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Route",
              "States": {
                "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.go", "BooleanEquals": true, "Next": "Call" } ], "Default": "Stop" },
                "Call": { "Type": "Task", "Resource": "${EchoFunctionArn}", "Next": "Pause" },
                "Pause": { "Type": "Wait", "Seconds": 0, "Next": "Done" },
                "Done": { "Type": "Succeed" },
                "Stop": { "Type": "Fail", "Error": "Stopped" }
              }
            }
            """, [handler]);

        var run = await host.RunAsync(JsonNode.Parse("""{"go": true}""")!);

        Assert.Equal(
            ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "TaskStateEntered", "TaskScheduled", "TaskStarted",
             "TaskSucceeded", "TaskStateExited", "WaitStateEntered", "WaitStateExited", "SucceedStateEntered", "SucceedStateExited",
             "ExecutionSucceeded"],
            await host.EventTypesAsync(run.Summary.ExecutionId));
        var history = await host.Workflow.GetExecutionHistoryAsync(run.Summary.ExecutionId);
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(e => e.Id));
    }

    [Fact]
    public async Task RetryRunsTheTaskAgainUntilItSucceeds()
    {
        var handler = new TestHandler("Flaky", (input, context, _) => context.Attempt < 3
            ? throw new WorkflowTaskException("Custom.Flaky", $"attempt {context.Attempt} failed")
            : Task.FromResult<JsonNode?>(JsonValue.Create(context.Attempt)));
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": {
                  "Type": "Task", "Resource": "${FlakyFunctionArn}",
                  "Retry": [ { "ErrorEquals": ["Other"], "MaxAttempts": 9 }, { "ErrorEquals": ["Custom.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2 } ],
                  "End": true
                }
              }
            }
            """, [handler], new Dictionary<string, string?> { ["CustomLabels:Workflow:TimeScale"] = "0.01" });

        var run = await host.RunAsync(new JsonObject());

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.Equal("3", run.Output);
        Assert.Equal([1, 2, 3], handler.Contexts.Select(c => c.Attempt));
        Assert.Equal(2, (await host.EventTypesAsync(run.Summary.ExecutionId)).Count(t => t == "TaskFailed"));
    }

    [Fact]
    public async Task TheContextInTheParametersReachesTheHandlerWithItsInputOnEveryAttempt()
    {
        var handler = new TestHandler("Flaky", (input, context, _) => context.Attempt < 2
            ? throw new WorkflowTaskException("Custom.Flaky", $"attempt {context.Attempt} failed")
            : Task.FromResult(input?.DeepClone()));
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": {
                  "Type": "Task", "Resource": "${FlakyFunctionArn}",
                  "Parameters": {
                    "input": { "value.$": "$.value" },
                    "context": { "executionId.$": "$$.Execution.Id", "stateName.$": "$$.State.Name", "attempt.$": "$$.State.RetryCount" }
                  },
                  "Retry": [ { "ErrorEquals": ["Custom.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2 } ],
                  "End": true
                }
              }
            }
            """, [handler], new Dictionary<string, string?> { ["CustomLabels:Workflow:TimeScale"] = "0.01" });

        var run = await host.RunAsync(JsonNode.Parse("""{"value": "v1", "other": 1}""")!, name: "carried-run");

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"value": "v1"}"""), JsonNode.Parse(run.Output!)), run.Output);
        Assert.Equal([new TaskContext("carried-run", "Call", 1), new TaskContext("carried-run", "Call", 2)], handler.Contexts);
    }

    [Fact]
    public async Task AContextWithoutAnExecutionIdFailsTheTaskAsInvalidInputWithoutCallingTheHandler()
    {
        var handler = new TestHandler("Echo", input => input);
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": {
                  "Type": "Task", "Resource": "${EchoFunctionArn}",
                  "Parameters": { "input.$": "$", "context": { "stateName.$": "$$.State.Name", "attempt.$": "$$.State.RetryCount" } },
                  "End": true
                }
              }
            }
            """, [handler]);

        var run = await host.RunAsync(new JsonObject());

        Assert.Equal(ExecutionStatus.Failed, run.Summary.Status);
        Assert.Equal(WorkflowErrors.InvalidInput, run.Error);
        Assert.Contains("executionId", run.Cause, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task CatchRoutesTheErrorObjectAfterRetriesAreSpent()
    {
        var handler = new TestHandler("Broken", (_, _, _) => throw new InvalidOperationException("it broke"));
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": {
                  "Type": "Task", "Resource": "${BrokenFunctionArn}",
                  "Retry": [ { "ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 1 } ],
                  "Catch": [ { "ErrorEquals": ["Custom.Other"], "Next": "Wrong" }, { "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled" } ],
                  "End": true
                },
                "Wrong": { "Type": "Fail", "Error": "Wrong" },
                "Handled": { "Type": "Pass", "End": true }
              }
            }
            """, [handler], new Dictionary<string, string?> { ["CustomLabels:Workflow:TimeScale"] = "0.01" });

        var run = await host.RunAsync(JsonNode.Parse("""{"id": 1}""")!);

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"id": 1, "error": {"Error": "InvalidOperationException", "Cause": "it broke"}}"""), JsonNode.Parse(run.Output!)), run.Output);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task UncaughtTaskErrorFailsTheExecutionWithTheErrorName()
    {
        var handler = new TestHandler("Broken", (_, _, _) => throw new WorkflowTaskException("CustomLabels.NoRunningModel", "no model is running"));
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            { "StartAt": "Call", "States": { "Call": { "Type": "Task", "Resource": "${BrokenFunctionArn}", "End": true } } }
            """, [handler]);

        var run = await host.RunAsync(new JsonObject());

        Assert.Equal(ExecutionStatus.Failed, run.Summary.Status);
        Assert.Equal("CustomLabels.NoRunningModel", run.Error);
        Assert.Equal("no model is running", run.Cause);
        Assert.Equal(["TaskFailed", "ExecutionFailed"], (await host.EventTypesAsync(run.Summary.ExecutionId)).TakeLast(2));
    }

    [Fact]
    public async Task TaskOverItsTimeoutFailsWithStatesTimeout()
    {
        var handler = new TestHandler("Slow", async (_, _, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return null;
        });
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": { "Type": "Task", "Resource": "${SlowFunctionArn}", "TimeoutSeconds": 1,
                          "Catch": [ { "ErrorEquals": ["States.TaskFailed"], "Next": "Wrong" }, { "ErrorEquals": ["States.Timeout"], "Next": "TimedOut" } ], "End": true },
                "Wrong": { "Type": "Fail", "Error": "Wrong" },
                "TimedOut": { "Type": "Succeed" }
              }
            }
            """, [handler]);

        var run = await host.RunAsync(new JsonObject());

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        var failed = Assert.Single(await host.Workflow.GetExecutionHistoryAsync(run.Summary.ExecutionId), e => e.Type == "TaskFailed");
        Assert.Equal("States.Timeout", failed.Error);
    }

    [Fact]
    public async Task WaitStatesTakeSecondsSecondsPathTimestampAndTimestampPathScaledByConfiguration()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Seconds",
              "States": {
                "Seconds": { "Type": "Wait", "Seconds": 3600, "Next": "SecondsPath" },
                "SecondsPath": { "Type": "Wait", "SecondsPath": "$.delay", "Next": "Timestamp" },
                "Timestamp": { "Type": "Wait", "Timestamp": "2000-01-01T00:00:00Z", "Next": "TimestampPath" },
                "TimestampPath": { "Type": "Wait", "TimestampPath": "$.until", "End": true }
              }
            }
            """, settings: new Dictionary<string, string?> { ["CustomLabels:Workflow:TimeScale"] = "0.0001" });

        var until = DateTimeOffset.UtcNow.AddSeconds(1000).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var run = await host.RunAsync(JsonNode.Parse($$"""{"delay": 1000, "until": "{{until}}"}""")!);

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        var history = await host.Workflow.GetExecutionHistoryAsync(run.Summary.ExecutionId);
        Assert.Equal(4, history.Count(e => e.Type == "WaitStateEntered"));
        Assert.Equal(4, history.Count(e => e.Type == "WaitStateExited"));
        var first = history.First(e => e.Type == "WaitStateEntered");
        var last = history.Last(e => e.Type == "WaitStateExited");
        Assert.True(last.Timestamp - first.Timestamp >= TimeSpan.FromSeconds(0.36 + 0.1 + 0.1 - 0.05), "the scaled waits add up");
    }

    [Fact]
    public async Task FailStateTakesErrorAndCauseFromPaths()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            { "StartAt": "Stop", "States": { "Stop": { "Type": "Fail", "ErrorPath": "$.code", "CausePath": "$.why" } } }
            """);

        var run = await host.RunAsync(JsonNode.Parse("""{"code": "Custom.Refused", "why": "because"}""")!);

        Assert.Equal(ExecutionStatus.Failed, run.Summary.Status);
        Assert.Equal(("Custom.Refused", "because"), (run.Error, run.Cause));
        Assert.Equal(["ExecutionStarted", "FailStateEntered", "ExecutionFailed"], await host.EventTypesAsync(run.Summary.ExecutionId));
    }

    [Fact]
    public async Task APathThatMatchesNothingFailsWithStatesRuntimeEvenWithACatch()
    {
        var handler = new TestHandler("Echo", input => input);
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": { "Type": "Task", "Resource": "${EchoFunctionArn}", "Parameters": { "x.$": "$.missing" },
                          "Catch": [ { "ErrorEquals": ["States.ALL"], "Next": "Caught" } ], "End": true },
                "Caught": { "Type": "Succeed" }
              }
            }
            """, [handler]);

        var run = await host.RunAsync(new JsonObject());

        Assert.Equal(ExecutionStatus.Failed, run.Summary.Status);
        Assert.Equal("States.Runtime", run.Error);
        Assert.Contains("$.missing", run.Cause, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task ChoiceWithNoMatchAndNoDefaultFailsWithNoChoiceMatched()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Route",
              "States": {
                "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big" } ] },
                "Big": { "Type": "Succeed" }
              }
            }
            """);

        var small = await host.RunAsync(JsonNode.Parse("""{"n": 3}""")!);
        var big = await host.RunAsync(JsonNode.Parse("""{"n": 30}""")!);

        Assert.Equal(("States.NoChoiceMatched", ExecutionStatus.Failed), (small.Error, small.Summary.Status));
        Assert.Equal(ExecutionStatus.Succeeded, big.Summary.Status);
    }

    [Fact]
    public async Task ExecutionOverItsTimeoutEndsTimedOut()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            { "TimeoutSeconds": 10, "StartAt": "Long", "States": { "Long": { "Type": "Wait", "Seconds": 100, "End": true } } }
            """, settings: new Dictionary<string, string?> { ["CustomLabels:Workflow:TimeScale"] = "0.01" });

        var run = await host.RunAsync(new JsonObject());

        Assert.Equal(ExecutionStatus.TimedOut, run.Summary.Status);
        Assert.Equal("ExecutionTimedOut", (await host.EventTypesAsync(run.Summary.ExecutionId))[^1]);
    }

    [Fact]
    public async Task ALoopThatNeverTakesItsWayOutFailsAtTheHistoryLimit()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Again",
              "States": {
                "Again": { "Type": "Pass", "Next": "Stop?" },
                "Stop?": { "Type": "Choice", "Choices": [ { "Variable": "$.stop", "IsPresent": true, "Next": "Done" } ], "Default": "Again" },
                "Done": { "Type": "Succeed" }
              }
            }
            """, settings: new Dictionary<string, string?> { ["CustomLabels:Workflow:MaxHistoryEvents"] = "100" });

        var looping = await host.RunAsync(new JsonObject());
        var leaving = await host.RunAsync(new JsonObject { ["stop"] = true });

        Assert.Equal((ExecutionStatus.Failed, "States.Runtime"), (looping.Summary.Status, looping.Error));
        Assert.Contains("100 events", looping.Cause, StringComparison.Ordinal);
        Assert.InRange((await host.Workflow.GetExecutionHistoryAsync(looping.Summary.ExecutionId)).Count, 100, 102);
        Assert.Equal(ExecutionStatus.Succeeded, leaving.Summary.Status);
    }

    [Fact]
    public async Task StartingAgainWithTheSameNameAndInputIsTheSameExecutionAndAnotherInputIsRefused()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """{ "StartAt": "Done", "States": { "Done": { "Type": "Succeed" } } }""");

        var first = await host.Workflow.StartExecutionAsync("""{"a": 1}""", "same-name");
        var again = await host.Workflow.StartExecutionAsync("""{"a":1}""", "same-name");

        Assert.Equal(first.ExecutionId, again.ExecutionId);
        await Assert.ThrowsAsync<ExecutionAlreadyExistsException>(() => host.Workflow.StartExecutionAsync("""{"a": 2}""", "same-name"));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Workflow.StartExecutionAsync("{not json", "other"));
        await Assert.ThrowsAsync<ArgumentException>(() => host.Workflow.StartExecutionAsync("{}", "bad name/with slash"));
        Assert.Single((await host.Workflow.ListExecutionsAsync(new ExecutionQuery())).Executions);
    }

    [Fact]
    public async Task ListsNewestFirstFilteredByStatusAndBranchInPages()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Route",
              "States": {
                "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.fail", "IsPresent": true, "Next": "Stop" } ], "Default": "Done" },
                "Done": { "Type": "Succeed" },
                "Stop": { "Type": "Fail", "Error": "Asked" }
              }
            }
            """);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await host.RunAsync(WorkflowEvents.Scheduled("training"))).Summary.ExecutionId);
        }

        var failed = await host.RunAsync(new JsonObject { ["fail"] = true });

        var firstPage = await host.Workflow.ListExecutionsAsync(new ExecutionQuery(MaxResults: 4));
        var secondPage = await host.Workflow.ListExecutionsAsync(new ExecutionQuery(MaxResults: 4, NextToken: firstPage.NextToken));
        var training = await host.Workflow.ListExecutionsAsync(new ExecutionQuery(Branch: WorkflowEvents.Branches.Training, Status: ExecutionStatus.Succeeded));
        var failures = await host.Workflow.ListExecutionsAsync(new ExecutionQuery(Status: ExecutionStatus.Failed));

        Assert.Equal([failed.Summary.ExecutionId, .. ids.AsEnumerable().Reverse()], firstPage.Executions.Concat(secondPage.Executions).Select(e => e.ExecutionId));
        Assert.NotNull(firstPage.NextToken);
        Assert.Null(secondPage.NextToken);
        Assert.Equal(ids.AsEnumerable().Reverse(), training.Executions.Select(e => e.ExecutionId));
        Assert.Equal(WorkflowEvents.Branches.Unknown, Assert.Single(failures.Executions).Branch);
        await Assert.ThrowsAsync<CustomLabels.Core.Data.InvalidPageTokenException>(() => host.Workflow.ListExecutionsAsync(new ExecutionQuery(NextToken: "forged")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.Workflow.ListExecutionsAsync(new ExecutionQuery(MaxResults: 0)));
        await Assert.ThrowsAsync<ExecutionDoesNotExistException>(() => host.Workflow.GetExecutionHistoryAsync("no-such-execution"));
        Assert.Null(await host.Workflow.DescribeExecutionAsync("no-such-execution"));
    }

    [Fact]
    public async Task NoMoreExecutionsRunAtOnceThanConfigured()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var peak = 0;
        var twoInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestHandler("Gate", async (_, _, token) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            if (now == 2)
            {
                twoInside.TrySetResult();
            }

            await gate.Task.WaitAsync(token);
            Interlocked.Decrement(ref running);
            return null;
        });
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            { "StartAt": "Call", "States": { "Call": { "Type": "Task", "Resource": "${GateFunctionArn}", "End": true } } }
            """, [handler], new Dictionary<string, string?> { ["CustomLabels:Workflow:MaxConcurrentExecutions"] = "2" });

        var started = new List<ExecutionSummary>();
        for (var i = 0; i < 6; i++)
        {
            started.Add(await host.Workflow.StartExecutionAsync("{}"));
        }

        await twoInside.Task.WaitAsync(WorkflowTestHost.Patience);
        var runningNow = await host.Workflow.ListExecutionsAsync(new ExecutionQuery(Status: ExecutionStatus.Running));
        gate.SetResult();
        foreach (var execution in started)
        {
            Assert.Equal(ExecutionStatus.Succeeded, (await host.Workflow.WaitForCompletionAsync(execution.ExecutionId, WorkflowTestHost.Patience)).Summary.Status);
        }

        Assert.Equal(6, runningNow.Executions.Count);
        Assert.Equal(2, peak);
        Assert.Equal(6, handler.Calls);
    }

    [Fact]
    public async Task StoppingAnExecutionAbortsItsRunningTaskAndRecordsExecutionAborted()
    {
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var after = new TestHandler("After", input => input);
        var handler = new TestHandler("Slow", async (_, _, token) =>
        {
            inside.TrySetResult();
            using var registration = token.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, token);
            return null;
        });
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, """
            {
              "StartAt": "Call",
              "States": {
                "Call": { "Type": "Task", "Resource": "${SlowFunctionArn}", "Catch": [ { "ErrorEquals": ["States.ALL"], "Next": "After" } ], "Next": "After" },
                "After": { "Type": "Task", "Resource": "${AfterFunctionArn}", "End": true }
              }
            }
            """, [handler, after]);
        var runner = host.Services.GetRequiredService<EmbeddedWorkflowService>();

        var started = await host.Workflow.StartExecutionAsync("{}");
        await inside.Task.WaitAsync(WorkflowTestHost.Patience);
        var stopped = await runner.StopExecutionAsync(started.ExecutionId, "Operator.Stop", "asked to stop");
        await cancelled.Task.WaitAsync(WorkflowTestHost.Patience);
        var again = await runner.StopExecutionAsync(started.ExecutionId);
        var done = await host.Workflow.WaitForCompletionAsync(started.ExecutionId, WorkflowTestHost.Patience);

        Assert.Equal((ExecutionStatus.Aborted, "Operator.Stop", "asked to stop"), (stopped.Summary.Status, stopped.Error, stopped.Cause));
        Assert.Equal(stopped, again);
        Assert.Equal(ExecutionStatus.Aborted, done.Summary.Status);
        Assert.Equal(0, after.Calls);
        var types = await host.EventTypesAsync(started.ExecutionId);
        Assert.Equal("ExecutionAborted", types[^1]);
        Assert.Single(types, t => t == "ExecutionAborted");
        await Assert.ThrowsAsync<ExecutionDoesNotExistException>(() => runner.StopExecutionAsync("no-such-execution"));
    }

    [Fact]
    public async Task AHandlerMayDependOnTheWorkflowAndTheSchedules()
    {
        await using var host = WorkflowTestHost.Create(_data.Path, """
            { "StartAt": "Call", "States": { "Call": { "Type": "Task", "Resource": "${DescribeSchedulesFunctionArn}", "End": true } } }
            """, configure: services => services.AddSingleton<ITaskHandler, DescribeSchedulesHandler>());
        await host.StartAsync();

        var run = await host.RunAsync(new JsonObject());

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.Equal("""{"schedules":2,"executions":1}""", run.Output);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

/// <summary>A handler that needs the schedules and the workflow, as the product's parameter handler does.</summary>
internal sealed class DescribeSchedulesHandler(ISchedules schedules, IWorkflowService workflow) : ITaskHandler
{
    public string Name => "DescribeSchedules";

    public async Task<JsonNode?> InvokeAsync(JsonNode? input, TaskContext context, CancellationToken cancellationToken) => new JsonObject
    {
        ["schedules"] = (await schedules.DescribeAsync(cancellationToken)).Count,
        ["executions"] = (await workflow.ListExecutionsAsync(new ExecutionQuery(), cancellationToken)).Executions.Count,
    };
}
