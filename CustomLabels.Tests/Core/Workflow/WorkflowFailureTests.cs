using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>What fails in the workflow fails safe: the version that serves goes on serving, and the operator is told.</summary>
public sealed class WorkflowFailureTests
{
    [Fact]
    public async Task AVersionBelowTheF1GateIsNotDeployedAndThePreviousOneGoesOnServing()
    {
        await using var host = await PipelineHost.StartAsync();
        await host.UploadTrainingSetAsync(PipelineHost.DemoTrain);
        Assert.Equal(ExecutionStatus.Succeeded, (await host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true))).Summary.Status);
        var serving = (await host.SystemState.ReadAsync()).RunningVersion!;

        // The same pictures under a second label: no version can tell the two apart, so its F1 falls.
        await host.UploadTrainingSetAsync(PipelineHost.DemoTrain, label => label + "-twin");
        await host.Parameters.PutAsync(ParameterNames.MinimumF1Score, "0.99", "test");
        var run = await host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true));

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        var evaluation = JsonNode.Parse(run.Output!)!["evaluation"]!;
        Assert.False((bool)evaluation["passed"]!);
        Assert.True((double)evaluation["f1Score"]! < 0.99);
        var rejected = (string)evaluation["versionName"]!;
        Assert.Equal(serving, (await host.SystemState.ReadAsync()).RunningVersion);
        Assert.Equal(ProjectVersionStatus.Running, (await host.Model.DescribeProjectVersionsAsync([serving]))[0].Status);
        Assert.Equal(ProjectVersionStatus.TrainingCompleted, (await host.Model.DescribeProjectVersionsAsync([rejected]))[0].Status);
        Assert.Single((await host.Notifier.QueryAsync(new NotificationQuery(Search: $"{rejected} failed the F1 gate"))).Items);

        // Deploying a version that is not running is refused, and changes nothing.
        var deploy = host.Services.GetServices<ITaskHandler>().Single(h => h.Name == "DeployVersion");
        var error = await Assert.ThrowsAsync<WorkflowTaskException>(() => deploy.InvokeAsync(
            new JsonObject { ["versionName"] = rejected }, new TaskContext("exec-x", "DeployVersion", 1), CancellationToken.None));
        Assert.Equal(WorkflowErrors.VersionFailed, error.Error);
        Assert.Equal(serving, (await host.SystemState.ReadAsync()).RunningVersion);
    }

    [Fact]
    public async Task TwoTrainingRunsStartedTogetherTrainOneVersionAndTheLaterRunStandsAside()
    {
        await using var host = await PipelineHost.StartAsync();
        await host.UploadTrainingSetAsync(PipelineHost.DemoTrain);

        // Both start before either has created a version: only the run that started first may train.
        var training = WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true).ToJsonString();
        var first = await host.Workflow.StartExecutionAsync(training, "training-first");
        var second = await host.Workflow.StartExecutionAsync(training, "training-second");
        var runs = await Task.WhenAll(
            host.Workflow.WaitForCompletionAsync(first.ExecutionId, PipelineHost.Patience),
            host.Workflow.WaitForCompletionAsync(second.ExecutionId, PipelineHost.Patience));

        Assert.All(runs, run => Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status));
        Assert.Single(await host.Model.DescribeProjectVersionsAsync());
        var stoodAside = await host.Workflow.GetExecutionHistoryAsync(second.ExecutionId);
        Assert.DoesNotContain(stoodAside, e => e.StateName == "CreateProjectVersion");
        Assert.Contains(stoodAside, e => e.Output?.Contains("No training:", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task TheTrainingCheckOfALaterRunDeclinesWhileAnEarlierTrainingRunIsRunning()
    {
        await using var host = await PipelineHost.StartAsync();
        await host.UploadTrainingSetAsync(PipelineHost.DemoTrain);
        var training = WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true);
        var earlier = await host.Workflow.StartExecutionAsync(training.ToJsonString(), "training-earlier");

        // While the earlier run trains (it is RUNNING for seconds), a later run's check stands aside.
        var check = host.Services.GetServices<ITaskHandler>().Single(h => h.Name == "CheckTraining");
        var result = await check.InvokeAsync(training, new TaskContext("training-later", "CheckTraining", 1), CancellationToken.None);
        await host.Workflow.WaitForCompletionAsync(earlier.ExecutionId, PipelineHost.Patience);

        Assert.False((bool)result!["train"]!);
        Assert.Contains("training run training-earlier started earlier and is still running", (string)result["reason"]!, StringComparison.Ordinal);
        Assert.Single(await host.Model.DescribeProjectVersionsAsync());
    }

    [Fact]
    public async Task ADetectionWithNoRunningModelFailsWithItsErrorAndTellsTheOperator()
    {
        await using var host = await PipelineHost.StartAsync();
        await host.Store.PutBytesAsync("images_for_detection/too-early.jpg", await File.ReadAllBytesAsync(Path.Combine(PipelineHost.DemoInference, "img_01.jpg")));

        // The new object starts the detection run.
        ExecutionSummary? started = null;
        await host.WaitUntilAsync(async () =>
        {
            var executions = (await host.Workflow.ListExecutionsAsync(new ExecutionQuery(Branch: WorkflowEvents.Branches.Detection))).Executions;
            started = executions.Count > 0 ? executions[0] : null;
            return started is not null;
        });
        var run = await host.Workflow.WaitForCompletionAsync(started!.ExecutionId, PipelineHost.Patience);

        Assert.Equal(ExecutionStatus.Failed, run.Summary.Status);
        Assert.Equal(WorkflowErrors.NoRunningModel, run.Error);
        var message = Assert.Single((await host.Notifier.QueryAsync(new NotificationQuery(NotificationTopic.Operator, Search: WorkflowErrors.NoRunningModel))).Items);
        Assert.Equal("error", message.Severity);
        Assert.Empty((await host.DetectionLog.QueryAsync(new CustomLabels.Core.Detections.DetectionQuery())).Items);
    }
}
