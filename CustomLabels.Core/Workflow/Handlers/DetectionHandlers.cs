using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>A detection as the later steps of the detection branch read it (<c>$.detection</c>).</summary>
internal sealed record Detection
{
    /// <summary>The request id: the execution's id.</summary>
    public required string RequestId { get; init; }

    public required string ObjectKey { get; init; }

    public string? ImageETag { get; init; }

    public required string VersionName { get; init; }

    /// <summary>The labels the consumer asked for (its MinConfidence and MaxResults applied), best first.</summary>
    [JsonPropertyName("CustomLabels")]
    public required IReadOnlyList<DetectedLabel> CustomLabels { get; init; }

    /// <summary>Every label the model knows, best first, as the reviewer is shown them.</summary>
    public required IReadOnlyList<DetectedLabel> AllLabels { get; init; }

    public string? Label { get; init; }

    public float Confidence { get; init; }

    public float Threshold { get; init; }

    /// <summary>True when the best label's confidence is below the threshold.</summary>
    public bool BelowThreshold { get; init; }

    /// <summary>Enable-A2I-Workflow when it was detected.</summary>
    [JsonPropertyName("a2iEnabled")]
    public bool A2IEnabled { get; init; }

    public string? RequestedBy { get; init; }

    /// <summary>Who asked, by principal id (the <c>requested-by-id</c> metadata).</summary>
    public string? RequesterId { get; init; }

    public required DateTimeOffset Time { get; init; }
}

/// <summary>
/// Detection branch: runs the running version on the new image. The object's metadata may carry
/// <c>min-confidence</c>, <c>max-results</c>, <c>requested-by</c> and <c>requested-by-id</c> (the API writes them). The confidence check
/// looks at the best label before the consumer's filters, so a consumer's MinConfidence cannot hide a doubtful image
/// from review.
/// </summary>
internal sealed class DetectCustomLabelsHandler(
    IObjectStore store,
    ICustomLabelsModel model,
    IParameterStore parameters,
    SystemStateStore state,
    TimeProvider time) : TaskHandler<WorkflowEvent, Detection>
{
    public override string Name => "DetectCustomLabels";

    protected override async Task<Detection> RunAsync(WorkflowEvent input, TaskContext context, CancellationToken cancellationToken)
    {
        var key = input.RequireObjectKey();
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        var running = (await state.ReadAsync(cancellationToken)).RunningVersion
            ?? throw new WorkflowTaskException(WorkflowErrors.NoRunningModel, "No model version is running yet; train and deploy one first.");

        await using var stored = await store.GetAsync(key, cancellationToken);
        var metadata = stored.Info.Metadata;
        (float? MinConfidence, int? MaxResults) options;
        try
        {
            options = DetectionMetadata.ReadOptions(metadata);
        }
        catch (DetectionOptionException e)
        {
            throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"The image's {e.Message}", e);
        }

        using var buffer = new MemoryStream();
        await stored.Content.CopyToAsync(buffer, cancellationToken);

        var result = await model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(running, buffer.ToArray()) { ImageKey = key }, cancellationToken);
        var all = result.CustomLabels.Select(DetectedLabel.From).ToList();
        var top = all.FirstOrDefault();
        var confidence = top?.Confidence ?? 0;
        var answered = all.Where(l => l.Confidence >= (options.MinConfidence ?? 0)).Take(options.MaxResults ?? int.MaxValue).ToList();
        return new Detection
        {
            RequestId = context.ExecutionId,
            ObjectKey = key,
            ImageETag = stored.Info.ETag,
            VersionName = running,
            CustomLabels = answered,
            AllLabels = all,
            Label = top?.Name,
            Confidence = confidence,
            Threshold = settings.MinimumLabelDetectionConfidence,
            BelowThreshold = confidence < settings.MinimumLabelDetectionConfidence,
            A2IEnabled = settings.EnableA2IWorkflow,
            RequestedBy = DetectionMetadata.Text(metadata, DetectionMetadata.RequestedBy),
            RequesterId = DetectionMetadata.Text(metadata, DetectionMetadata.RequesterId),
            Time = time.GetUtcNow(),
        };
    }
}

/// <summary>Detection branch: records the detection in the detection log (once per request id).</summary>
internal sealed class LogDetectionHandler(IDetectionLog log) : TaskHandler<Detection, Done>
{
    public override string Name => "LogDetection";

    protected override async Task<Done> RunAsync(Detection input, TaskContext context, CancellationToken cancellationToken)
    {
        await log.RecordDetectionAsync(
            new DetectionRecord
            {
                RequestId = input.RequestId,
                Time = input.Time,
                ObjectKey = input.ObjectKey,
                ImageETag = input.ImageETag,
                VersionName = input.VersionName,
                Label = input.Label,
                Confidence = input.Confidence,
                Labels = [.. input.AllLabels.Select(l => l.ToCustomLabel())],
                Threshold = input.Threshold,
                RequestedBy = input.RequestedBy,
                RequesterId = input.RequesterId,
                ExecutionId = context.ExecutionId,
            },
            cancellationToken);
        return Done.Instance;
    }
}

/// <summary>The loop a detection went to, if any (<c>$.review</c>).</summary>
internal sealed record ReviewLoop(string? HumanLoopName, bool Created);

/// <summary>
/// Detection branch: sends a doubtful detection to human review, unless the same image (by content) already has a
/// loop in progress, in which case the detection joins that loop.
/// </summary>
internal sealed class CreateHumanLoopHandler(IHumanReview review, IDetectionLog log) : TaskHandler<Detection, ReviewLoop>
{
    public override string Name => "CreateHumanLoop";

    protected override Task<ReviewLoop> RunAsync(Detection input, TaskContext context, CancellationToken cancellationToken) =>
        StartOrJoinAsync(review, log, input.RequestId, LoopNameOf("review", input.RequestId), InputOf(input, HumanLoopReason.LowConfidence), cancellationToken);

    public static HumanLoopInput InputOf(Detection detection, HumanLoopReason reason) =>
        new(
            detection.ObjectKey,
            [.. detection.AllLabels.Select(l => l.ToCustomLabel())],
            reason,
            detection.RequestId,
            [.. detection.AllLabels.Select(l => l.Name).Order(StringComparer.Ordinal)])
        {
            ImageETag = detection.ImageETag,
        };

    /// <summary>A loop name that A2I accepts, the same every time for the same request (so a repeated step reuses it).</summary>
    public static string LoopNameOf(string prefix, string requestId) =>
        $"{prefix}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestId)))[..24]}";

    /// <summary>Starts the loop, or joins the one in progress for the same image; records it for the detection.</summary>
    public static async Task<ReviewLoop> StartOrJoinAsync(
        IHumanReview review,
        IDetectionLog log,
        string requestId,
        string loopName,
        HumanLoopInput input,
        CancellationToken cancellationToken)
    {
        var loop = await review.DescribeHumanLoopAsync(loopName, cancellationToken)
                   ?? await review.FindOpenHumanLoopAsync(input.ImageKey, input.ImageETag, cancellationToken);
        var created = false;
        if (loop is null)
        {
            try
            {
                loop = await review.StartHumanLoopAsync(new StartHumanLoopRequest(loopName, input), cancellationToken);
                created = true;
            }
            catch (HumanLoopConflictException)
            {
                // Another detection of the same image started one a moment ago: join it.
                loop = await review.FindOpenHumanLoopAsync(input.ImageKey, input.ImageETag, cancellationToken);
                if (loop is null)
                {
                    throw;
                }
            }
        }

        await log.RecordHumanLoopAsync(requestId, loop.HumanLoopName, cancellationToken);
        return new ReviewLoop(loop.HumanLoopName, created || loop.HumanLoopName == loopName);
    }
}

/// <summary>Detection branch, last step: tells the consumer what was found and whether it went to review.</summary>
internal sealed class NotifyDetectionHandler(Notifications.INotifier notifier, TimeProvider time) : TaskHandler<NotifyDetectionHandler.Input, Done>
{
    public override string Name => "NotifyDetection";

    protected override async Task<Done> RunAsync(Input input, TaskContext context, CancellationToken cancellationToken)
    {
        var d = input.Detection;
        var found = d.Label is null ? "no label" : $"{d.Label} ({d.Confidence:0.#}%)";
        var subject = input.Review?.HumanLoopName is not null
            ? $"{found} in {d.ObjectKey}: sent to human review"
            : $"{found} in {d.ObjectKey}";
        var message = $"Version {d.VersionName} found {found} in {d.ObjectKey} (threshold {d.Threshold:0.#}%)."
                      + (input.Review?.HumanLoopName is { } name ? $" Human loop {name} reviews it." : string.Empty);
        await notifier.PublishAsync(
            new Notifications.Notification(Notifications.NotificationTopic.Consumer, subject, message, time.GetUtcNow(), "info", context.ExecutionId)
            {
                DeduplicationId = $"{context.ExecutionId}/{context.StateName}",
            },
            cancellationToken);
        return Done.Instance;
    }

    public sealed record Input(Detection Detection, ReviewLoop? Review);
}
