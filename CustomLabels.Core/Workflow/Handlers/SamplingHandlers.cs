using CustomLabels.Core.Detections;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>One detection chosen for review by sampling.</summary>
internal sealed record Sample(string RequestId, long Sequence, string ObjectKey, string? ImageETag, IReadOnlyList<DetectedLabel> Labels);

/// <summary>
/// Sampling branch: finds every Human-Sampling-Interval-th detection since the last sample (counted by the
/// detection log's sequence numbers). Detections that already went to review are passed over.
/// </summary>
internal sealed class SelectSamplesHandler(IParameterStore parameters, SystemStateStore state, IDetectionLog log, IOptions<WorkflowStepOptions> options)
    : TaskHandler<WorkflowEvent, SelectSamplesHandler.Result>
{
    public override string Name => "SelectSamples";

    protected override async Task<Result> RunAsync(WorkflowEvent input, TaskContext context, CancellationToken cancellationToken)
    {
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        var last = (await state.ReadAsync(cancellationToken)).LastSampledSequence;
        if (!settings.EnableAutomaticHumanSampling && !(input.Detail?.Force ?? false))
        {
            return new Result([], last, settings.HumanSamplingInterval, $"Sampling is off ({ParameterNames.EnableAutomaticHumanSampling} is false).");
        }

        var interval = settings.HumanSamplingInterval;
        var samples = new List<Sample>();
        var lastCounted = last;
        string? token = null;
        do
        {
            var page = await log.QueryAsync(new DetectionQuery(AfterSequence: last, NextToken: token, MaxResults: 500, OldestFirst: true), cancellationToken);
            foreach (var detection in page.Items)
            {
                if ((detection.Sequence - last) % interval != 0)
                {
                    continue;
                }

                lastCounted = detection.Sequence;
                if (detection.HumanLoopName is null)
                {
                    samples.Add(new Sample(
                        detection.RequestId,
                        detection.Sequence,
                        detection.ObjectKey,
                        detection.ImageETag,
                        [.. detection.Labels.Select(DetectedLabel.From)]));
                }

                if (samples.Count >= options.Value.MaxSamplesPerRun)
                {
                    break;
                }
            }

            token = samples.Count >= options.Value.MaxSamplesPerRun ? null : page.NextToken;
        }
        while (token is not null);

        return new Result(samples, lastCounted, interval, $"{samples.Count} detection(s) sampled for review, one in every {interval} since detection #{last}.");
    }

    public sealed record Result(IReadOnlyList<Sample> Samples, long LastSequence, int Interval, string Reason)
    {
        public int Count => Samples.Count;
    }
}

/// <summary>
/// Sampling branch: starts a sampling loop for each sample (sampling answers never join the training set) and
/// records how far sampling has counted. Loop names derive from the request id, so a repeated step adds nothing.
/// </summary>
internal sealed class CreateSamplingLoopsHandler(IHumanReview review, IDetectionLog log, SystemStateStore state)
    : TaskHandler<SelectSamplesHandler.Result, CreateSamplingLoopsHandler.Result>
{
    public override string Name => "CreateSamplingLoops";

    protected override async Task<Result> RunAsync(SelectSamplesHandler.Result input, TaskContext context, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var sample in input.Samples)
        {
            var loopInput = new HumanLoopInput(
                sample.ObjectKey,
                [.. sample.Labels.Select(l => l.ToCustomLabel())],
                HumanLoopReason.Sampling,
                sample.RequestId,
                [.. sample.Labels.Select(l => l.Name).Order(StringComparer.Ordinal)])
            {
                ImageETag = sample.ImageETag,
            };
            var loop = await CreateHumanLoopHandler.StartOrJoinAsync(
                review, log, sample.RequestId, CreateHumanLoopHandler.LoopNameOf("sample", sample.RequestId), loopInput, cancellationToken);
            names.Add(loop.HumanLoopName!);
        }

        await state.UpdateAsync(s => s.LastSampledSequence >= input.LastSequence ? s : s with { LastSampledSequence = input.LastSequence }, cancellationToken);
        return new Result(
            names,
            NotificationRequest.Operator(
                $"{names.Count} detection(s) sampled for review",
                $"Sampling created {names.Count} review loop(s), one in every {input.Interval} detections: {string.Join(", ", names)}."));
    }

    public sealed record Result(IReadOnlyList<string> HumanLoopNames, NotificationRequest Notification);
}
