using System.Security.Cryptography;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>Schedules and new objects start executions, once each, across restarts too.</summary>
public sealed class EventSourceTests : IDisposable
{
    private const string Definition = """{ "StartAt": "Done", "States": { "Done": { "Type": "Succeed" } } }""";

    private static readonly Dictionary<string, string?> FastSchedules = new()
    {
        ["CustomLabels:Workflow:ScheduleMinuteSeconds"] = "0.2",
        ["CustomLabels:Workflow:ReconcileIntervalSeconds"] = "3600",
    };

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task TrainingScheduleFiresAtItsPeriodAndStartsScheduledExecutions()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, Definition, settings: FastSchedules);
        await Parameters(host).PutAsync(ParameterNames.AutomaticTrainingPollFrequency, "1", "operator");

        await host.WaitUntilAsync(async () => (await Runs(host, WorkflowEvents.Branches.Training)).Count >= 2, TimeSpan.FromMilliseconds(100));

        var runs = await Runs(host, WorkflowEvents.Branches.Training);
        var input = (await host.Workflow.DescribeExecutionAsync(runs[0].ExecutionId))!.Input;
        Assert.Equal(WorkflowEvents.Scheduled("training").ToJsonString(), input);
        var state = Assert.Single(await Schedules(host).DescribeAsync(), s => s.Name == "training");
        Assert.True(state.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(0.2), state.Period);
        Assert.NotNull(state.LastRun);
        Assert.Empty(await Runs(host, WorkflowEvents.Branches.Sampling));
    }

    [Fact]
    public async Task SamplingScheduleFollowsItsPairOfParameters()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, Definition, settings: FastSchedules);
        Assert.False(Assert.Single(await Schedules(host).DescribeAsync(), s => s.Name == "sampling").Enabled);

        await Parameters(host).PutAsync(ParameterNames.AutomaticHumanSamplingFrequency, "1", "operator");
        await Parameters(host).PutAsync(ParameterNames.EnableAutomaticHumanSampling, "true", "operator");
        await host.WaitUntilAsync(async () => (await Runs(host, WorkflowEvents.Branches.Sampling)).Count >= 1, TimeSpan.FromMilliseconds(100));

        await Parameters(host).PutAsync(ParameterNames.EnableAutomaticHumanSampling, "false", "operator");
        await host.WaitUntilAsync(async () => !(await Schedules(host).DescribeAsync()).Single(s => s.Name == "sampling").Enabled);

        var sampling = (await Schedules(host).DescribeAsync()).Single(s => s.Name == "sampling");
        Assert.Null(sampling.NextRun);
    }

    [Fact]
    public async Task AParameterChangeReArmsTheScheduleAtOnceAndTheNextRunSurvivesARestart()
    {
        DateTimeOffset? armed;
        await using (var first = await WorkflowTestHost.StartAsync(_data.Path, Definition, settings: FastSchedules))
        {
            var before = (await Schedules(first).DescribeAsync()).Single(s => s.Name == "training");
            Assert.Equal(TimeSpan.FromSeconds(0.2 * 720), before.Period);

            await Parameters(first).PutAsync(ParameterNames.AutomaticTrainingPollFrequency, "600", "operator");
            await first.WaitUntilAsync(async () => (await Schedules(first).DescribeAsync()).Single(s => s.Name == "training").Period == TimeSpan.FromSeconds(120));

            armed = (await Schedules(first).DescribeAsync()).Single(s => s.Name == "training").NextRun;
            Assert.NotNull(armed);
            Assert.NotEqual(before.NextRun, armed);
        }

        await using var second = await WorkflowTestHost.StartAsync(_data.Path, Definition, settings: FastSchedules);
        Assert.Equal(armed, (await Schedules(second).DescribeAsync()).Single(s => s.Name == "training").NextRun);
    }

    [Fact]
    public async Task AnObjectWrittenThroughTheStoreStartsExactlyOneExecution()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, Definition);
        var store = host.Services.GetRequiredService<IObjectStore>();

        var info = await store.PutBytesAsync("images_for_detection/cat.jpg", new byte[] { 1, 2, 3 });
        var run = await host.WaitForExecutionAsync(ExecutionNames.ForObject(info.Key, info.ETag));
        await store.PutBytesAsync("images_labeled_by_folder/cat/ignored.jpg", new byte[] { 1, 2, 3 });
        await ScanAndWaitAsync(host);

        Assert.Equal(WorkflowEvents.Branches.Detection, run.Summary.Branch);
        Assert.Equal(WorkflowEvents.ObjectCreated("customlabels", info).ToJsonString(), run.Input);
        Assert.Single(await Runs(host, WorkflowEvents.Branches.Detection));
        Assert.Empty(await Runs(host, WorkflowEvents.Branches.Unknown));
    }

    [Fact]
    public async Task AFileDroppedIntoTheBucketFolderStartsExactlyOneExecution()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, Definition);
        var bucket = host.Services.GetRequiredService<FileObjectStore>().BucketDirectory;
        var folder = Path.Combine(bucket, "a2i-human-loop-data", "flow", "2026", "01", "02", "03", "04", "05", "loop-1");
        Directory.CreateDirectory(folder);
        var bytes = """{"humanAnswers": []}"""u8.ToArray();

        await File.WriteAllBytesAsync(Path.Combine(folder, "output.json"), bytes);
        await File.WriteAllBytesAsync(Path.Combine(folder, "notes.txt"), bytes);
        var key = "a2i-human-loop-data/flow/2026/01/02/03/04/05/loop-1/output.json";
        var run = await host.WaitForExecutionAsync(ExecutionNames.ForObject(key, Convert.ToHexStringLower(MD5.HashData(bytes))));
        await ScanAndWaitAsync(host);

        Assert.Equal(WorkflowEvents.Branches.Review, run.Summary.Branch);
        Assert.Single((await host.Workflow.ListExecutionsAsync(new ExecutionQuery())).Executions);
    }

    [Fact]
    public async Task AFileDroppedWhileTheProcessWasDownStartsOneExecutionAtStartAndNoneAfterTheNextRestart()
    {
        var bucket = Path.Combine(_data.Path, "bucket", "images_for_detection");
        Directory.CreateDirectory(bucket);
        var bytes = new byte[] { 9, 8, 7 };
        await File.WriteAllBytesAsync(Path.Combine(bucket, "while-down.jpg"), bytes);
        var name = ExecutionNames.ForObject("images_for_detection/while-down.jpg", Convert.ToHexStringLower(MD5.HashData(bytes)));

        await using (var first = await WorkflowTestHost.StartAsync(_data.Path, Definition))
        {
            Assert.Equal(ExecutionStatus.Succeeded, (await first.WaitForExecutionAsync(name)).Summary.Status);
        }

        await using var second = await WorkflowTestHost.StartAsync(_data.Path, Definition);
        await ScanAndWaitAsync(second);

        var runs = await Runs(second, WorkflowEvents.Branches.Detection);
        Assert.Equal(name, Assert.Single(runs).ExecutionId);
    }

    [Fact]
    public async Task ReplacingAnObjectWithNewContentStartsAnotherExecution()
    {
        await using var host = await WorkflowTestHost.StartAsync(_data.Path, Definition);
        var store = host.Services.GetRequiredService<IObjectStore>();

        var first = await store.PutBytesAsync("images_for_detection/same-name.jpg", new byte[] { 1 });
        var second = await store.PutBytesAsync("images_for_detection/same-name.jpg", new byte[] { 2 });
        await host.WaitForExecutionAsync(ExecutionNames.ForObject(first.Key, first.ETag));
        await host.WaitForExecutionAsync(ExecutionNames.ForObject(second.Key, second.ETag));

        Assert.Equal(2, (await Runs(host, WorkflowEvents.Branches.Detection)).Count);
    }

    private static IParameterStore Parameters(WorkflowTestHost host) => host.Services.GetRequiredService<IParameterStore>();

    private static ISchedules Schedules(WorkflowTestHost host) => host.Services.GetRequiredService<ISchedules>();

    private static async Task<IReadOnlyList<ExecutionSummary>> Runs(WorkflowTestHost host, string branch) =>
        (await host.Workflow.ListExecutionsAsync(new ExecutionQuery(Branch: branch))).Executions;

    /// <summary>Asks the source for a scan of the bucket and waits until it has gone through it.</summary>
    private static Task ScanAndWaitAsync(WorkflowTestHost host) =>
        host.Services.GetRequiredService<CustomLabels.Core.Workflow.Embedded.ObjectCreatedSource>().ScanNowAsync();
}
