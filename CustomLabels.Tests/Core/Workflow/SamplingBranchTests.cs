using System.Text.Json.Nodes;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Handlers;
using Microsoft.Extensions.Options;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>Branch 5 on the real parameter store, detection log and review: every n-th detection since the last sample.</summary>
public sealed class SamplingBranchTests : IDisposable
{
    private readonly PipelineParts _parts = new();

    public void Dispose() => _parts.Dispose();

    private async Task DetectAsync(int from, int to)
    {
        for (var i = from; i <= to; i++)
        {
            await _parts.DetectionLog.RecordDetectionAsync(new DetectionRecord
            {
                RequestId = $"request-{i}",
                Time = DateTimeOffset.UtcNow,
                ObjectKey = $"images_for_detection/{i}.jpg",
                ImageETag = $"etag-{i}",
                VersionName = "v1",
                Label = "acme",
                Confidence = 99,
                Labels = [new CustomLabel("acme", 99)],
                Threshold = 70,
            });
        }
    }

    /// <summary>Runs the branch as the definition does: select, then create loops when there are samples.</summary>
    private async Task<(JsonNode Selection, JsonNode? Loops)> RunSamplingAsync(bool force = false)
    {
        var options = Options.Create(new WorkflowStepOptions());
        var selection = (await new SelectSamplesHandler(_parts.Parameters, _parts.SystemState, _parts.DetectionLog, options)
            .InvokeAsync(WorkflowEvents.Scheduled("sampling", force), new TaskContext("exec-s", "SelectSamples", 1), CancellationToken.None))!;
        if ((int)selection["count"]! == 0)
        {
            return (selection, null);
        }

        var loops = await new CreateSamplingLoopsHandler(_parts.Review, _parts.DetectionLog, _parts.SystemState)
            .InvokeAsync(selection.DeepClone(), new TaskContext("exec-s", "CreateSamplingLoops", 1), CancellationToken.None);
        return (selection, loops);
    }

    private async Task<List<string>> SamplingLoopImagesAsync() =>
        [.. (await _parts.Review.ListHumanLoopsAsync(new HumanLoopQuery(Ascending: true))).HumanLoops
            .Where(l => l.Input.Reason == HumanLoopReason.Sampling)
            .Select(l => l.Input.ImageKey)];

    [Fact]
    public async Task EveryNthDetectionSinceTheLastSampleGoesToReview()
    {
        await _parts.Parameters.PutAsync(ParameterNames.EnableAutomaticHumanSampling, "true", "test");
        await _parts.Parameters.PutAsync(ParameterNames.HumanSamplingInterval, "3", "test");
        await DetectAsync(1, 7);

        await RunSamplingAsync();
        Assert.Equal(["images_for_detection/3.jpg", "images_for_detection/6.jpg"], await SamplingLoopImagesAsync());
        Assert.Equal(6, (await _parts.SystemState.ReadAsync()).LastSampledSequence);

        await DetectAsync(8, 10);
        await RunSamplingAsync();
        Assert.Equal(["images_for_detection/3.jpg", "images_for_detection/6.jpg", "images_for_detection/9.jpg"], await SamplingLoopImagesAsync());
        Assert.Equal("sample", (await _parts.DetectionLog.GetAsync("request-9"))!.HumanLoopName![..6]);

        var (again, _) = await RunSamplingAsync();
        Assert.Equal(0, (int)again["count"]!);
        Assert.Equal(3, (await SamplingLoopImagesAsync()).Count);
    }

    [Fact]
    public async Task SamplingIsOffUnlessEnabledOrForced()
    {
        await _parts.Parameters.PutAsync(ParameterNames.HumanSamplingInterval, "2", "test");
        await DetectAsync(1, 4);

        var (off, _) = await RunSamplingAsync();
        Assert.Equal(0, (int)off["count"]!);
        Assert.Contains(ParameterNames.EnableAutomaticHumanSampling, (string?)off["reason"], StringComparison.Ordinal);
        Assert.Empty(await SamplingLoopImagesAsync());

        await RunSamplingAsync(force: true);
        Assert.Equal(["images_for_detection/2.jpg", "images_for_detection/4.jpg"], await SamplingLoopImagesAsync());
    }

    [Fact]
    public async Task ADetectionAlreadyInReviewIsNotSampledAgainAndARepeatedStepAddsNothing()
    {
        await _parts.Parameters.PutAsync(ParameterNames.EnableAutomaticHumanSampling, "true", "test");
        await _parts.Parameters.PutAsync(ParameterNames.HumanSamplingInterval, "1", "test");
        await DetectAsync(1, 3);
        await _parts.DetectionLog.RecordHumanLoopAsync("request-2", "review-2");

        var (selection, loops) = await RunSamplingAsync();
        await new CreateSamplingLoopsHandler(_parts.Review, _parts.DetectionLog, _parts.SystemState)
            .InvokeAsync(selection.DeepClone(), new TaskContext("exec-s", "CreateSamplingLoops", 1), CancellationToken.None);

        Assert.Equal(2, loops!["humanLoopNames"]!.AsArray().Count);
        Assert.Equal(["images_for_detection/1.jpg", "images_for_detection/3.jpg"], await SamplingLoopImagesAsync());
        Assert.Equal(3, (await _parts.SystemState.ReadAsync()).LastSampledSequence);
    }
}
