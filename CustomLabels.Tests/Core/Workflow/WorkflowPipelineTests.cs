using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>A product that the training branch has trained and deployed once, from the demo training set.</summary>
public sealed class TrainedPipelineFixture : IAsyncLifetime
{
    public PipelineHost Host { get; private set; } = null!;

    public ExecutionDetail FirstTraining { get; private set; } = null!;

    public SystemState StateAfterFirstTraining { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The gate's comparison with the running version is not under test here (VersionComparisonTests): other tests
        // add reviewed images to the shared training set, and the next version deploys whatever it scores.
        Host = await PipelineHost.StartAsync(new Dictionary<string, string?> { ["CustomLabels:Workflow:Steps:MaxF1Drop"] = "1" });
        await Host.UploadTrainingSetAsync(PipelineHost.DemoTrain);
        FirstTraining = await Host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true));
        StateAfterFirstTraining = await Host.SystemState.ReadAsync();
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// The five branches of <c>infra/statemachine.asl.json</c> run by the embedded runner with every real part:
/// training and blue-green deployment, detection and review, the answer joining the training set.
/// </summary>
public sealed class WorkflowPipelineTests(TrainedPipelineFixture fixture) : IClassFixture<TrainedPipelineFixture>
{
    private PipelineHost Host => fixture.Host;

    private static byte[] DemoImage(string label, int index) =>
        File.ReadAllBytes(Path.Combine(PipelineHost.DemoTrain, label, $"{label}_{index:00}.jpg"));

    [Fact]
    public async Task TheTrainingBranchDeploysAVersionAndRecordsItsTrainedImageSet()
    {
        Assert.Equal(ExecutionStatus.Succeeded, fixture.FirstTraining.Summary.Status);
        var state = fixture.StateAfterFirstTraining;
        Assert.NotNull(state.RunningVersion);
        Assert.Null(state.PreviousVersion);
        Assert.Equal($"manifests/{state.RunningVersion}.manifest", state.TrainedManifestKey);
        Assert.NotNull(await Host.Store.HeadAsync(state.TrainedManifestKey!));

        var version = (await Host.Model.DescribeProjectVersionsAsync([state.RunningVersion!]))[0];
        Assert.Equal(10, version.TrainingImageCount + version.TestImageCount);
        var types = (await Host.Workflow.GetExecutionHistoryAsync(fixture.FirstTraining.Summary.ExecutionId)).Select(e => e.Type).ToList();
        Assert.Contains("WaitStateEntered", types);
        Assert.Equal("ExecutionSucceeded", types[^1]);
        var deployed = JsonNode.Parse(fixture.FirstTraining.Output!)!["deployment"]!;
        Assert.Equal(state.RunningVersion, (string?)deployed["versionName"]);
    }

    [Fact]
    public async Task AScheduledCheckRightAfterTrainingFindsNothingUntrained()
    {
        var run = await Host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training));
        var check = JsonNode.Parse(run.Output!)!["check"]!;

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        Assert.False((bool)check["train"]!);
        Assert.True((int)check["untrainedImages"]! < (int)check["minimumUntrainedImages"]!);
    }

    [Fact]
    public async Task AKnownImageIsAcceptedAndItsRequestIdIsTheExecutionId()
    {
        var (detection, execution) = await Host.DetectAsync(
            "images_for_detection/known-godot.jpg",
            DemoImage("godot", 2),
            new Dictionary<string, string> { ["requested-by"] = "consumer-key", ["requested-by-id"] = "api-key-id:k1", ["max-results"] = "1" });

        Assert.Equal(ExecutionStatus.Succeeded, execution.Summary.Status);
        Assert.Equal("godot", detection.Label);
        Assert.True(detection.Confidence >= detection.Threshold, $"confidence {detection.Confidence}");
        Assert.Null(detection.HumanLoopName);
        Assert.Equal(execution.Summary.ExecutionId, detection.RequestId);
        Assert.Equal("consumer-key", detection.RequestedBy);
        Assert.Equal("api-key-id:k1", detection.RequesterId);
        var output = JsonNode.Parse(execution.Output!)!;
        Assert.Equal("godot", (string?)output["CustomLabels"]![0]!["Name"]);
        Assert.Single(output["CustomLabels"]!.AsArray());
        Assert.Null((string?)output["HumanLoopName"]);
    }

    [Fact]
    public async Task AMinConfidenceInTheImagesMetadataThatIsNotANumberIsInvalidInput()
    {
        var info = await Host.Store.PutBytesAsync(
            "images_for_detection/bad-metadata.jpg", DemoImage("godot", 1), new Dictionary<string, string> { ["min-confidence"] = "high" });
        var detect = Host.Services.GetServices<ITaskHandler>().Single(h => h.Name == "DetectCustomLabels");

        var error = await Assert.ThrowsAsync<WorkflowTaskException>(() => detect.InvokeAsync(
            WorkflowEvents.ObjectCreated("customlabels", info), new TaskContext("exec-m", "DetectCustomLabels", 1), CancellationToken.None));
        Assert.Equal(WorkflowErrors.InvalidInput, error.Error);
        Assert.Contains("min-confidence", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADoubtfulDetectionGoesToReviewAndTheAnswerJoinsTheTrainingSetOnce()
    {
        // An image the running version is unsure of: the first of the data set's unknown logos that it scores below
        // the threshold (Minimum-Label-Detection-Confidence, 70 by default).
        var doubtful = await FirstDoubtfulImageAsync();
        {
            var (detection, execution) = await Host.DetectAsync("images_for_detection/doubtful.jpg", doubtful);
            Assert.True(detection.Confidence < detection.Threshold, $"confidence {detection.Confidence}");
            Assert.NotNull(detection.HumanLoopName);
            Assert.Equal(detection.HumanLoopName, (string?)JsonNode.Parse(execution.Output!)!["HumanLoopName"]);

            var before = await TrainingKeysAsync();
            var loop = await Host.Review.AnswerHumanLoopAsync(detection.HumanLoopName!, HumanLoopAnswer.ForLabel("keepassxc"), "reviewer-ann");
            await Host.WaitUntilAsync(async () => (await Host.DetectionLog.GetAsync(detection.RequestId))!.ReviewedAt is not null);

            var added = (await TrainingKeysAsync()).Except(before).ToList();
            var key = Assert.Single(added);
            Assert.StartsWith($"images_labeled_by_folder/keepassxc/{loop.HumanLoopName}-", key, StringComparison.Ordinal);
            Assert.EndsWith("-doubtful.jpg", key, StringComparison.Ordinal);
            var logged = await Host.DetectionLog.GetAsync(detection.RequestId);
            Assert.Equal(("keepassxc", key), (logged!.HumanLabel, logged.CopiedKey));
        }
    }

    [Fact]
    public async Task TheNextTrainingDeploysBlueGreenTheNewVersionServesBeforeThePreviousStops()
    {
        var previous = (await Host.SystemState.ReadAsync()).RunningVersion!;
        var seen = new ConcurrentQueue<(string Version, ProjectVersionStatus Status, ProjectVersionStatus? Previous)>();
        using var watch = Host.Events.Subscribe(e =>
        {
            if (e.Kind == PipelineEventKind.ProjectVersion && e.Id is { } id)
            {
                var versions = Host.Model.DescribeProjectVersionsAsync().GetAwaiter().GetResult();
                seen.Enqueue((id, versions.First(v => v.VersionName == id).Status, versions.FirstOrDefault(v => v.VersionName == previous)?.Status));
            }
        });

        // The gate is not under test here (other tests add reviewed images to the shared training set).
        await Host.Parameters.PutAsync(ParameterNames.MinimumF1Score, "0", "test");
        await Host.Store.PutBytesAsync("images_labeled_by_folder/godot/extra.jpg", await File.ReadAllBytesAsync(Path.Combine(PipelineHost.DemoInference, "img_01.jpg")));
        var run = await Host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true));

        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        var state = await Host.SystemState.ReadAsync();
        Assert.NotEqual(previous, state.RunningVersion);
        Assert.Equal(previous, state.PreviousVersion);
        var statuses = (await Host.Model.DescribeProjectVersionsAsync([previous, state.RunningVersion!])).ToDictionary(v => v.VersionName, v => v.Status);
        Assert.Equal(ProjectVersionStatus.Running, statuses[state.RunningVersion!]);
        Assert.Contains(statuses[previous], new[] { ProjectVersionStatus.Stopping, ProjectVersionStatus.Stopped });

        // While the previous version still ran, the new one was already running.
        var firstStopping = seen.First(s => s.Version == previous && s.Status is ProjectVersionStatus.Stopping or ProjectVersionStatus.Stopped);
        Assert.Contains(seen.TakeWhile(s => s != firstStopping), s => s.Version == state.RunningVersion && s.Status == ProjectVersionStatus.Running);

        // Deploying again (a step repeated after a crash) changes nothing.
        var deploy = Host.Services.GetServices<ITaskHandler>().Single(h => h.Name == "DeployVersion");
        var again = await deploy.InvokeAsync(new JsonObject { ["versionName"] = state.RunningVersion }, new TaskContext("exec-r", "DeployVersion", 1), CancellationToken.None);
        Assert.False((bool)again!["stoppedPrevious"]!);
        Assert.Equal(state.ToJson(), (await Host.SystemState.ReadAsync()).ToJson());
        await Host.Parameters.PutAsync(ParameterNames.MinimumF1Score, "0.8", "test");
    }

    [Fact]
    public async Task AParameterChangeReArmsTheSchedulesAndTellsTheOperator()
    {
        var schedules = Host.Services.GetService(typeof(ISchedules)) as ISchedules;
        await Host.Parameters.PutAsync(ParameterNames.AutomaticHumanSamplingFrequency, "5", "operator-ann");
        await Host.Parameters.PutAsync(ParameterNames.EnableAutomaticHumanSampling, "true", "operator-ann");
        try
        {
            await Host.WaitUntilAsync(async () => (await Host.Notifier.QueryAsync(new NotificationQuery(Search: "Enable-Automatic-Human-Sampling is now true"))).Items.Count > 0);
            var sampling = (await schedules!.DescribeAsync()).Single(s => s.Name == WorkflowEvents.Branches.Sampling);
            Assert.True(sampling.Enabled);
            Assert.Equal(TimeSpan.FromMinutes(5), sampling.Period);
        }
        finally
        {
            await Host.Parameters.PutAsync(ParameterNames.EnableAutomaticHumanSampling, "false", "operator-ann");
        }
    }

    private async Task<byte[]> FirstDoubtfulImageAsync()
    {
        var running = (await Host.SystemState.ReadAsync()).RunningVersion!;
        foreach (var file in Directory.EnumerateFiles(PipelineHost.UnknownLogos).Order(StringComparer.Ordinal))
        {
            var image = await File.ReadAllBytesAsync(file);
            var result = await Host.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(running, image));
            if (result.CustomLabels.Count == 0 || result.CustomLabels[0].Confidence < 70)
            {
                return image;
            }
        }

        throw new InvalidOperationException("The running version is sure of every unknown logo; none can go to review.");
    }

    private async Task<List<string>> TrainingKeysAsync()
    {
        var keys = new List<string>();
        await foreach (var info in Host.Store.ListAllAsync(BucketLayout.TrainingImages))
        {
            keys.Add(info.Key);
        }

        return keys;
    }
}
