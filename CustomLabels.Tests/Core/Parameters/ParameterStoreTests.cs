using CustomLabels.Core;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Parameters;

public sealed class ParameterStoreTests : IDisposable
{
    private const string EchoDefinition = """
        {
          "StartAt": "Route",
          "States": {
            "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.detail-type", "StringEquals": "Parameter Store Change", "Next": "Applied" } ], "Default": "Ignored" },
            "Applied": { "Type": "Pass", "Parameters": { "name.$": "$.detail.name" }, "End": true },
            "Ignored": { "Type": "Succeed" }
          }
        }
        """;

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task EveryParameterReadsItsDefaultBeforeAnyWrite()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, EchoDefinition);
        var store = host.Services.GetRequiredService<IParameterStore>();

        var all = await store.GetAllAsync();

        Assert.Equal(ParameterCatalog.All.Select(d => (d.Name, d.DefaultValue, 0L)), all.Select(v => (v.Name, v.Value, v.Version)));
        Assert.All(all, v => Assert.Null(v.LastModified));
        Assert.Equal(new PipelineSettings(true, 720, 10, 0.8, 1, 70, true, false, 720, 1000, "{}"), await store.GetSettingsAsync());
    }

    [Fact]
    public async Task AChangeIsNormalizedVersionedAndRecordedWithWhoWhenOldAndNew()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, EchoDefinition);
        var store = host.Services.GetRequiredService<IParameterStore>();

        var first = await store.PutAsync(ParameterNames.MinimumF1Score, " 0.90 ", "alice");
        var second = await store.PutAsync(ParameterNames.MinimumF1Score, "0.95", "bob");
        var same = await store.PutAsync(ParameterNames.MinimumF1Score, "0.950", "carol");

        Assert.Equal(("0.9", 1L), (first.Value, first.Version));
        Assert.Equal(("0.95", 2L), (second.Value, second.Version));
        Assert.Equal(second, same);
        Assert.Equal(second, await store.GetAsync(ParameterNames.MinimumF1Score));
        var history = await store.GetHistoryAsync(ParameterNames.MinimumF1Score);
        Assert.Equal([(2L, "0.9", "0.95", "bob"), (1L, "0.8", "0.9", "alice")], history.Select(h => (h.Version, h.OldValue, h.NewValue, h.ChangedBy)));
        Assert.All(history, h => Assert.True(h.ChangedAt <= DateTimeOffset.UtcNow && h.ChangedAt == (h.Version == 2 ? second.LastModified : first.LastModified)));
    }

    [Theory]
    [InlineData(ParameterNames.MinimumF1Score, "1.5", "a number from 0 to 1")]
    [InlineData(ParameterNames.MinimumLabelDetectionConfidence, "-1", "a number from 0 to 100")]
    [InlineData(ParameterNames.AutomaticTrainingPollFrequency, "0", "a whole number of at least 1")]
    [InlineData(ParameterNames.MinimumInferenceUnits, "17", "a whole number from 1 to 16")]
    [InlineData(ParameterNames.HumanSamplingInterval, "ten", "a whole number of at least 1")]
    [InlineData(ParameterNames.EnableA2IWorkflow, "yes", "true or false")]
    [InlineData(ParameterNames.ForSystemUseOnly, "{broken", "a JSON document")]
    public async Task AnOutOfRangeValueIsRefusedNamingTheRangeAndNothingIsWritten(string name, string value, string range)
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, EchoDefinition);
        var store = host.Services.GetRequiredService<IParameterStore>();
        var published = new List<PipelineEvent>();
        using var subscription = host.Events.Subscribe(published.Add);

        var error = await Assert.ThrowsAsync<ParameterValidationException>(() => store.PutAsync(name, value, "alice"));

        Assert.Contains(range, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await store.GetAsync(name)).Version);
        Assert.Empty(await store.GetHistoryAsync(name));
        Assert.DoesNotContain(published, e => e.Kind == PipelineEventKind.Parameter);
    }

    [Fact]
    public async Task AnUnknownNameIsRefused()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, EchoDefinition);
        var store = host.Services.GetRequiredService<IParameterStore>();

        await Assert.ThrowsAsync<UnknownParameterException>(() => store.PutAsync("Minimum-Everything", "1", "alice"));
        await Assert.ThrowsAsync<UnknownParameterException>(() => store.GetAsync("Minimum-Everything"));
        await Assert.ThrowsAsync<UnknownParameterException>(() => store.GetHistoryAsync("Minimum-Everything"));
    }

    [Fact]
    public async Task EachChangePublishesAndStartsOneParameterChangedExecution()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, EchoDefinition);
        var store = host.Services.GetRequiredService<IParameterStore>();
        var published = new List<PipelineEvent>();
        using var subscription = host.Events.Subscribe(e =>
        {
            lock (published)
            {
                published.Add(e);
            }
        });

        await store.PutAsync(ParameterNames.HumanSamplingInterval, "5", "alice");
        var run = await host.WaitForExecutionAsync(ExecutionNames.ForParameterChange(ParameterNames.HumanSamplingInterval, 1));

        Assert.Equal(WorkflowEvents.Branches.Parameter, run.Summary.Branch);
        Assert.Equal($$"""{"name":"{{ParameterNames.HumanSamplingInterval}}"}""", run.Output);
        lock (published)
        {
            Assert.Contains(new PipelineEvent(PipelineEventKind.Parameter, ParameterNames.HumanSamplingInterval), published);
        }

        var parameterRuns = await host.Workflow.ListExecutionsAsync(new ExecutionQuery(Branch: WorkflowEvents.Branches.Parameter));
        Assert.Single(parameterRuns.Executions);
    }

    [Fact]
    public async Task AChangeStoredWhileTheRunnerWasDownStartsItsExecutionAtTheNextStart()
    {
        await using (var stopped = WorkflowTestHost.Create(_data.Path, EchoDefinition))
        {
            // Not started: the change is stored with its outbox entry, but nothing acts on it yet.
            await stopped.Services.GetRequiredService<IParameterStore>().PutAsync(ParameterNames.EnableA2IWorkflow, "false", "alice");
        }

        await using var host = await WorkflowTestHost.StartAsync(_data.Path, EchoDefinition);
        var run = await host.WaitForExecutionAsync(ExecutionNames.ForParameterChange(ParameterNames.EnableA2IWorkflow, 1));

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.Equal("false", (await host.Services.GetRequiredService<IParameterStore>().GetAsync(ParameterNames.EnableA2IWorkflow)).Value);
    }
}
