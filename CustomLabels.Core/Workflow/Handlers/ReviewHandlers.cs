using System.Security.Cryptography;
using System.Text;
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
            answer.BoundingBox);
    }
}

/// <summary>
/// Review branch: copies the reviewed image into the training set as
/// <c>images_labeled_by_folder/&lt;label&gt;/&lt;loop&gt;-&lt;uuid&gt;-&lt;original name&gt;</c>. The uuid is derived
/// from the loop, so running the step again writes the same key and adds nothing. A region the reviewer drew goes into
/// the copy's metadata under <see cref="BoundingBox.MetadataKey"/>, where the next manifest finds it.
/// </summary>
internal sealed class CopyToTrainingSetHandler(IObjectStore store, PipelineEvents events) : TaskHandler<AnswerRead, CopyToTrainingSetHandler.Result>
{
    public override string Name => "CopyToTrainingSet";

    protected override async Task<Result> RunAsync(AnswerRead input, TaskContext context, CancellationToken cancellationToken)
    {
        if (!input.AddToTrainingSet || input.Label is null)
        {
            return new Result(null);
        }

        var key = KeyOf(input.Label, input.HumanLoopName, input.ImageKey);
        if (await store.HeadAsync(key, cancellationToken) is null)
        {
            if (input.BoundingBox is { IsValid: true } region)
            {
                // A copy with metadata of its own: the image's bytes and metadata, and the reviewer's region.
                await using var image = await store.GetAsync(input.ImageKey, cancellationToken);
                var metadata = new Dictionary<string, string>(image.Info.Metadata) { [BoundingBox.MetadataKey] = region.ToMetadata() };
                await store.PutAsync(key, image.Content, metadata, cancellationToken);
            }
            else
            {
                await store.CopyAsync(input.ImageKey, key, cancellationToken);
            }

            events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages, key));
        }

        return new Result(key);
    }

    /// <summary>The training key for a reviewed image.</summary>
    public static string KeyOf(string label, string humanLoopName, string imageKey)
    {
        var uuid = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{humanLoopName}\n{imageKey}"))[..16]);
        var original = imageKey[(imageKey.LastIndexOf('/') + 1)..];
        var name = $"{humanLoopName}-{uuid:D}-{original}";
        while (Encoding.UTF8.GetByteCount(name) > ObjectKey.MaxSegmentBytes)
        {
            // Keep the extension; shorten the original name from its start.
            original = original.Length > 1 ? original[1..] : original;
            name = $"{humanLoopName}-{uuid:D}-{original}";
        }

        return BucketLayout.TrainingImageKey(label, name);
    }

    public sealed record Result(string? CopiedKey);
}

/// <summary>Review branch, last step: records the answer (and the copy, if any) in the detection log.</summary>
internal sealed class LogReviewHandler(IDetectionLog log) : TaskHandler<LogReviewHandler.Input, Done>
{
    public override string Name => "LogReview";

    protected override async Task<Done> RunAsync(Input input, TaskContext context, CancellationToken cancellationToken)
    {
        await log.RecordReviewAsync(input.Answer.HumanLoopName, input.Answer.Label, input.Copy?.CopiedKey, cancellationToken);
        return Done.Instance;
    }

    public sealed record Input(AnswerRead Answer, CopyToTrainingSetHandler.Result? Copy);
}
