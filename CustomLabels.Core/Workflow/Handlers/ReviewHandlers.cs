using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>
/// A reviewer's answer as the review branch reads it (<c>$.answer</c>); <c>boundingBox</c> is the region the reviewer
/// drew (<c>{"Left", "Top", "Width", "Height"}</c>, fractions of the image), or null.
/// </summary>
internal sealed record AnswerRead(
    string HumanLoopName,
    string ImageKey,
    string? RequestId,
    HumanLoopReason Reason,
    string? Label,
    bool NoneOfTheAbove,
    bool AddToTrainingSet,
    bool KeepAsRejected = false,
    BoundingBox? BoundingBox = null);

/// <summary>Review branch: reads a loop's <c>output.json</c> (A2I's format) from the new object.</summary>
internal sealed class ReadHumanLoopAnswerHandler(IObjectStore store) : TaskHandler<WorkflowEvent, AnswerRead>
{
    public override string Name => "ReadHumanLoopAnswer";

    protected override async Task<AnswerRead> RunAsync(WorkflowEvent input, TaskContext context, CancellationToken cancellationToken)
    {
        var key = input.RequireObjectKey();
        var answer = HumanLoopOutput.Parse(await store.ReadAllBytesAsync(key, cancellationToken));
        if (answer.Label is { } label && !ObjectKey.IsValidSegment(label))
        {
            throw new WorkflowTaskException(
                WorkflowErrors.InvalidInput,
                $"The answer of loop {answer.HumanLoopName} names '{ObjectKey.Printable(label)}', which cannot be a label folder.");
        }

        return new AnswerRead(
            answer.HumanLoopName,
            answer.ImageKey,
            answer.RequestId,
            answer.Reason,
            answer.Label,
            answer.NoneOfTheAbove,
            AddToTrainingSet: !answer.NoneOfTheAbove && answer.Reason != HumanLoopReason.Sampling,
            KeepAsRejected: answer.NoneOfTheAbove && answer.Reason != HumanLoopReason.Sampling,
            BoundingBox: answer.BoundingBox);
    }
}

/// <summary>
/// Review branch: keeps the reviewed image as evidence. A label answer copies it into the training set as
/// <c>images_labeled_by_folder/&lt;label&gt;/&lt;loop&gt;-&lt;uuid&gt;-&lt;original name&gt;</c>; "none of the above" copies it to
/// <c>images_rejected/&lt;loop&gt;-&lt;uuid&gt;-&lt;original name&gt;</c> (an image of no label) and adds nothing to the label
/// folders. Both names come from <see cref="BucketLayout.ReviewedImageFileName"/>: the uuid is derived from the loop, so
/// running the step again writes the same key and adds nothing. Sampling loops reach neither.
/// A label answer's copy names its loop in its metadata (<see cref="TrainingManifest.HumanLoopMetadataKey"/>), and a region
/// the reviewer drew goes there too, under <see cref="BoundingBox.MetadataKey"/>, where the next manifest finds both.
/// </summary>
internal sealed class CopyToTrainingSetHandler(IObjectStore store, PipelineEvents events) : TaskHandler<AnswerRead, CopyToTrainingSetHandler.Result>
{
    public override string Name => "CopyToTrainingSet";

    protected override async Task<Result> RunAsync(AnswerRead input, TaskContext context, CancellationToken cancellationToken)
    {
        if (input.AddToTrainingSet && input.Label is not null)
        {
            // The copy names its loop, so the model learns it as a photo, by region, not as a clean shot.
            var marks = new Dictionary<string, string>(StringComparer.Ordinal) { [TrainingManifest.HumanLoopMetadataKey] = input.HumanLoopName };
            if (input.BoundingBox is { IsValid: true } region)
            {
                marks[BoundingBox.MetadataKey] = region.ToMetadata();
            }

            return new Result(await CopyOnceAsync(KeyOf(input.Label, input.HumanLoopName, input.ImageKey), input.ImageKey, cancellationToken, marks), null);
        }

        if (input.KeepAsRejected && input.NoneOfTheAbove)
        {
            return new Result(null, await CopyOnceAsync(RejectedKeyOf(input.HumanLoopName, input.ImageKey), input.ImageKey, cancellationToken));
        }

        return new Result(null, null);
    }

    /// <summary>The training key for a reviewed image.</summary>
    public static string KeyOf(string label, string humanLoopName, string imageKey) =>
        BucketLayout.TrainingImageKey(label, BucketLayout.ReviewedImageFileName(humanLoopName, imageKey));

    /// <summary>The key under <c>images_rejected/</c> for an image answered "none of the above".</summary>
    public static string RejectedKeyOf(string humanLoopName, string imageKey) =>
        BucketLayout.RejectedImageKey(BucketLayout.ReviewedImageFileName(humanLoopName, imageKey));

    private async Task<string> CopyOnceAsync(string key, string imageKey, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? marks = null)
    {
        // The key names the loop, so an object there is this answer's copy from an earlier try: create-only, never replaced.
        if (await store.HeadAsync(key, cancellationToken) is not null)
        {
            return key;
        }

        try
        {
            if (marks is null)
            {
                await store.CreateCopyAsync(imageKey, key, cancellationToken);
            }
            else
            {
                await using var source = await store.GetAsync(imageKey, cancellationToken);
                var metadata = new Dictionary<string, string>(source.Info.Metadata, StringComparer.Ordinal);
                foreach (var (name, value) in marks)
                {
                    metadata[name] = value;
                }

                await store.CreateAsync(key, source.Content, metadata, cancellationToken);
            }
        }
        catch (ObjectExistsException)
        {
            return key; // another try of the same answer copied it first
        }

        events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages, key));
        return key;
    }

    /// <summary>Where the image was copied: <paramref name="CopiedKey"/> in a label folder, or <paramref name="RejectedKey"/> under <c>images_rejected/</c>.</summary>
    public sealed record Result(string? CopiedKey, string? RejectedKey);
}

/// <summary>Review branch, last step: records the answer (and the copy, in a label folder or under <c>images_rejected/</c>, if any) in the detection log.</summary>
internal sealed class LogReviewHandler(IDetectionLog log) : TaskHandler<LogReviewHandler.Input, Done>
{
    public override string Name => "LogReview";

    protected override async Task<Done> RunAsync(Input input, TaskContext context, CancellationToken cancellationToken)
    {
        await log.RecordReviewAsync(input.Answer.HumanLoopName, input.Answer.Label, input.Copy?.CopiedKey, input.Copy?.RejectedKey, cancellationToken);
        return Done.Instance;
    }

    public sealed record Input(AnswerRead Answer, CopyToTrainingSetHandler.Result? Copy);
}
