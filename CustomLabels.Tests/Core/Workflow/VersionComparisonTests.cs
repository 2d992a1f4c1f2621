using System.Globalization;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// The F1 gate compares a new version with the running one on the same test images, through the whole training
/// branch of <c>infra/statemachine.asl.json</c> with the real model (three small trainings).
/// </summary>
public sealed class VersionComparisonTests
{
    private static async Task<IReadOnlyList<string>> KeysAsync(PipelineHost host, string manifestKey) =>
        [.. (await TrainingManifest.ReadAsync(host.Store, manifestKey)).Select(e => e.Key)];

    /// <summary>Moves each image to the other label's folder (godot to keepassxc and back), under the same file name.</summary>
    private static async Task<IReadOnlyList<string>> SwapLabelsAsync(PipelineHost host, IEnumerable<string> keys)
    {
        var moved = new List<string>();
        foreach (var key in keys)
        {
            var label = BucketLayout.LabelOf(key)!;
            var target = BucketLayout.TrainingImageKey(label == "godot" ? "keepassxc" : "godot", Path.GetFileName(key));
            await host.Store.PutBytesAsync(target, await host.Store.ReadAllBytesAsync(key));
            await host.Store.DeleteAsync(key);
            moved.Add(target);
        }

        return moved;
    }

    private static async Task<(ExecutionDetail Run, JsonNode Evaluation)> TrainAsync(PipelineHost host)
    {
        var run = await host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true));
        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        return (run, JsonNode.Parse(run.Output!)!["evaluation"]!);
    }

    [Fact]
    public async Task ANewVersionWorseThanTheRunningOneOnTheSameTestImagesIsNotDeployedAndOneAsGoodIs()
    {
        await using var host = await PipelineHost.StartAsync();

        // Only the comparison decides here: any F1 passes Minimum-F1-Score.
        await host.Parameters.PutAsync(ParameterNames.MinimumF1Score, "0", "test");
        await host.UploadTrainingSetAsync(PipelineHost.DemoTrain);
        await TrainAsync(host);
        var v1 = (await host.SystemState.ReadAsync()).RunningVersion!;
        var state = await host.SystemState.ReadAsync();
        Assert.Equal($"manifests/{v1}.test.manifest", state.TrainedTestManifestKey);
        var testImages = await KeysAsync(host, state.TrainedTestManifestKey!);
        var trainingImages = await KeysAsync(host, state.TrainedManifestKey!);
        Assert.NotEmpty(testImages);
        Assert.Equal(10, testImages.Count + trainingImages.Count);
        Assert.Equal(0, (await TrainingSetSummary.DescribeAsync(host.Store, host.Parameters, host.Services.GetRequiredService<RejectedImages>())).Untrained);

        // v1's training images under each other's label, its test images as they are: v2 learns the labels the wrong
        // way round and scores far worse than v1 on the same test images.
        var swapped = await SwapLabelsAsync(host, trainingImages);
        var (_, worse) = await TrainAsync(host);
        var v2 = (string)worse["versionName"]!;

        Assert.False((bool)worse["passed"]!);
        Assert.Equal(v1, (string?)worse["runningVersion"]);
        Assert.Equal(v1, (await host.SystemState.ReadAsync()).RunningVersion);
        Assert.Equal(ProjectVersionStatus.TrainingCompleted, (await host.Model.DescribeProjectVersionsAsync([v2]))[0].Status);
        Assert.Equal(testImages, await KeysAsync(host, $"manifests/{v2}.test.manifest"));
        var comparison = (await VersionComparison.TryReadAsync(host.Store, v2))!;
        Assert.False(comparison.Deploy);
        Assert.Equal(v1, comparison.RunningVersion);
        Assert.Equal(testImages.Count, comparison.ComparedImages);
        Assert.Equal(testImages.Count, comparison.TestImages);
        Assert.True(comparison.RunningVersionF1Score - comparison.F1Score > 0.02, $"F1 {comparison.F1Score} against {comparison.RunningVersionF1Score}");

        var notice = Assert.Single((await host.Notifier.QueryAsync(new NotificationQuery(NotificationTopic.Operator, Search: $"{v2} failed the F1 gate: worse than {v1}"))).Items);
        Assert.Equal("warning", notice.Severity);
        Assert.Contains(comparison.F1Score!.Value.ToString("0.000", CultureInfo.InvariantCulture), notice.Message, StringComparison.Ordinal);
        Assert.Contains($"the running version {v1} scored F1 {comparison.RunningVersionF1Score!.Value.ToString("0.000", CultureInfo.InvariantCulture)}", notice.Message, StringComparison.Ordinal);
        Assert.Contains("it is not deployed", notice.Message, StringComparison.Ordinal);
        Assert.Equal(comparison.Reason, notice.Message);

        // The gate run again (a step repeated after a crash) gives the same decision and makes no new one.
        var evaluate = host.Services.GetServices<ITaskHandler>().Single(h => h.Name == "EvaluateVersion");
        var again = await evaluate.InvokeAsync(new JsonObject { ["versionName"] = v2 }, new TaskContext("exec-again", "EvaluateVersion", 1), CancellationToken.None);
        Assert.False((bool)again!["passed"]!);
        Assert.Equal((string?)worse["reason"], (string?)again["reason"]);
        Assert.Equal(comparison, await VersionComparison.TryReadAsync(host.Store, v2));

        // The training images back under their own labels: v3 is as good as v1 on the same images, and deploys.
        await SwapLabelsAsync(host, swapped);
        var (_, asGood) = await TrainAsync(host);
        var v3 = (string)asGood["versionName"]!;

        Assert.True((bool)asGood["passed"]!, (string?)asGood["reason"]);
        Assert.Equal(v3, (await host.SystemState.ReadAsync()).RunningVersion);
        var deployed = (await VersionComparison.TryReadAsync(host.Store, v3))!;
        Assert.True(deployed.Deploy);
        Assert.Equal(v1, deployed.RunningVersion);
        Assert.True(deployed.RunningVersionF1Score - deployed.F1Score <= 0.02, $"F1 {deployed.F1Score} against {deployed.RunningVersionF1Score}");
        Assert.Equal(testImages, await KeysAsync(host, $"manifests/{v3}.test.manifest"));
    }
}
