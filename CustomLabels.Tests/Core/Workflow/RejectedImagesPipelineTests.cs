using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// "None of the above" as evidence, end to end in the embedded product: the review branch of
/// <c>infra/statemachine.asl.json</c> keeps the image under <c>images_rejected/</c>, it counts toward
/// Minimum-Untrained-Images, the training branch gives the embedded model a negatives manifest of it, and after the
/// deployment it no longer counts.
/// </summary>
public sealed class RejectedImagesPipelineTests : IAsyncLifetime
{
    private PipelineHost _host = null!;

    public async Task InitializeAsync() => _host = await PipelineHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private RejectedImages Rejected => _host.Services.GetRequiredService<RejectedImages>();

    private Task<TrainingSetSummary> SummaryAsync() => TrainingSetSummary.DescribeAsync(_host.Store, _host.Parameters, Rejected);

    [Fact]
    public async Task ARejectedImageCountsAsUntrainedUntilADeploymentTrainsOnIt()
    {
        Assert.True(_host.Model.LearnsFromRejectedImages);
        await _host.UploadTrainingSetAsync(PipelineHost.DemoTrain);
        // The gate is not under test here.
        await _host.Parameters.PutAsync(ParameterNames.MinimumF1Score, "0", "test");
        var unknown = Directory.EnumerateFiles(PipelineHost.UnknownLogos).Order(StringComparer.Ordinal).ToList();

        var review = await AnswerNoneOfTheAboveAsync("review-rejected-1", "images_for_detection/unknown one.jpg", await File.ReadAllBytesAsync(unknown[0]));

        Assert.Equal(ExecutionStatus.Succeeded, review.Summary.Status);
        var rejectedKey = Assert.Single(await KeysAsync(BucketLayout.RejectedImages));
        Assert.StartsWith("images_rejected/review-rejected-1-", rejectedKey, StringComparison.Ordinal);
        Assert.EndsWith("-unknown one.jpg", rejectedKey, StringComparison.Ordinal);
        Assert.Equal(rejectedKey, (string?)JsonNode.Parse(review.Output!)!["RejectedKey"]);
        Assert.Null((string?)JsonNode.Parse(review.Output!)!["CopiedKey"]);
        Assert.Equal(10, (await KeysAsync(BucketLayout.TrainingImages)).Count);
        var before = await SummaryAsync();
        Assert.Equal((10, 1, 1, 11), (before.Total, before.Rejected, before.UntrainedRejected, before.Untrained));

        var training = await _host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true));

        Assert.Equal(ExecutionStatus.Succeeded, training.Summary.Status);
        var state = await _host.SystemState.ReadAsync();
        var negatives = $"manifests/{state.RunningVersion}.negatives.manifest";
        Assert.Equal(negatives, state.TrainedNegativesManifestKey);
        Assert.Equal(negatives, (await _host.Model.DescribeProjectVersionsAsync([state.RunningVersion!]))[0].NegativesManifestKey);
        var line = Assert.Single(await TrainingManifest.ReadNegativesAsync(_host.Store, negatives));
        Assert.Equal((rejectedKey, (await _host.Store.HeadAsync(rejectedKey))!.ETag), (line.Key, line.ETag));
        var after = await SummaryAsync();
        Assert.Equal((1, 0, 0), (after.Rejected, after.UntrainedRejected, after.Untrained));

        // The next "none of the above" counts again, and the check says so.
        await _host.Store.PutBytesAsync(
            CopyToTrainingSetName("review-rejected-2", "images_for_detection/unknown two.jpg"), await File.ReadAllBytesAsync(unknown[1]));
        var next = await SummaryAsync();
        Assert.Equal((2, 1, 1), (next.Rejected, next.UntrainedRejected, next.Untrained));
        var check = JsonNode.Parse((await _host.RunAsync(WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training))).Output!)!["check"]!;
        Assert.False((bool)check["train"]!);
        Assert.Equal((1, 1), ((int)check["untrainedImages"]!, (int)check["untrainedRejectedImages"]!));
        Assert.Contains("1 of them answered none of the above", (string?)check["reason"], StringComparison.Ordinal);
    }

    private static string CopyToTrainingSetName(string loop, string imageKey) =>
        BucketLayout.RejectedImageKey(BucketLayout.ReviewedImageFileName(loop, imageKey));

    /// <summary>Opens a loop on a stored image, answers it "none of the above", and waits for the review run it starts.</summary>
    private async Task<ExecutionDetail> AnswerNoneOfTheAboveAsync(string loopName, string imageKey, byte[] image)
    {
        var stored = await _host.Store.PutBytesAsync(imageKey, image);
        await _host.Review.StartHumanLoopAsync(new StartHumanLoopRequest(
            loopName,
            new HumanLoopInput(imageKey, [new CustomLabel("godot", 41)], HumanLoopReason.LowConfidence, null, ["godot", "keepassxc"]) { ImageETag = stored.ETag }));
        await _host.Review.AnswerHumanLoopAsync(loopName, HumanLoopAnswer.None, "reviewer-ann");

        ExecutionSummary? run = null;
        await _host.WaitUntilAsync(async () =>
        {
            run = (await _host.Workflow.ListExecutionsAsync(new ExecutionQuery(Branch: WorkflowEvents.Branches.Review))).Executions.SingleOrDefault();
            return run is not null;
        });
        return await _host.Workflow.WaitForCompletionAsync(run!.ExecutionId, PipelineHost.Patience);
    }

    private async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var info in _host.Store.ListAllAsync(prefix))
        {
            keys.Add(info.Key);
        }

        return keys;
    }
}
