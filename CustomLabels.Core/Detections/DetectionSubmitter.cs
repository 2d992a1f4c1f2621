using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Detections;

/// <summary>
/// <see cref="IDetectionSubmitter"/> over the ports, the same for both backends: the image is checked and the
/// options are checked before anything is stored, so no image waits under <c>images_for_detection/</c> for a model
/// that is not there.
/// </summary>
internal sealed partial class DetectionSubmitter(
    IObjectStore store,
    IWorkflowService workflow,
    ServingVersion serving,
    TimeProvider time,
    IOptions<DetectionOptions> options,
    IOptions<WorkflowOptions> workflowOptions,
    ILogger<DetectionSubmitter> logger) : IDetectionSubmitter
{
    /// <summary>The longest file name kept in a key.</summary>
    public const int MaxFileNameLength = 100;

    public async Task<DetectionOutcome> SubmitAsync(DetectionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var image = ImageInspector.Inspect(request.Image.Span);
        var metadata = DetectionMetadata.Of(request);

        // During the first deployment, wait for it, within the same timeout as the run.
        var timeout = options.Value.DetectionTimeout;
        var started = time.GetTimestamp();
        await serving.WaitAsync(timeout, cancellationToken);

        var key = $"{BucketLayout.DetectionImages}{Guid.NewGuid():N}-{SafeFileName(request.FileName, image.Format)}";
        var stored = await store.CreateBytesAsync(key, request.Image, metadata, cancellationToken);

        // Named for the object, so the bucket's own event shares this one execution instead of starting another.
        var run = await workflow.StartExecutionAsync(
            WorkflowEvents.ObjectCreated(workflowOptions.Value.BucketName, stored).ToJsonString(),
            ExecutionNames.ForObject(stored.Key, stored.ETag),
            cancellationToken);

        ExecutionDetail detail;
        try
        {
            var left = timeout - time.GetElapsedTime(started);
            detail = await workflow.WaitForCompletionAsync(run.ExecutionId, left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (TimeoutException e)
        {
            LogStillRunning(logger, run.ExecutionId, key, timeout);
            throw new DetectionRunException(
                run.ExecutionId, key, $"The detection run did not end within {timeout}; its execution is {run.ExecutionId}.", e);
        }

        if (detail.Summary.Status != ExecutionStatus.Succeeded)
        {
            LogRunFailed(logger, run.ExecutionId, key, detail.Summary.Status, detail.Error);
            var cause = $"{detail.Error} {detail.Cause}".Trim();
            throw new DetectionRunException(
                run.ExecutionId, key, $"The detection run ended {detail.Summary.Status.ToString().ToUpperInvariant()}: {cause}", ReasonOf(detail));
        }

        return OutcomeOf(detail, key);
    }

    /// <summary>
    /// The one cleaning of a sent file name for its key: the last path segment, reduced to letters, digits, '.', '-'
    /// and '_', at most <see cref="MaxFileNameLength"/> characters with its extension kept; <c>image.&lt;format&gt;</c>
    /// when nothing is left.
    /// </summary>
    internal static string SafeFileName(string? fileName, string format)
    {
        var name = (fileName ?? string.Empty).Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var safe = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]).Trim('.', '_', '-');
        if (safe.Length > MaxFileNameLength)
        {
            var extension = Path.GetExtension(safe);
            safe = extension.Length <= 10
                ? string.Concat(safe.AsSpan(0, MaxFileNameLength - extension.Length), extension)
                : safe[..MaxFileNameLength];
        }

        return safe.Length > 0 ? safe : $"image.{format.ToLowerInvariant()}";
    }

    /// <summary>Reads the run's result (the definition's DetectionResult state).</summary>
    internal static DetectionOutcome OutcomeOf(ExecutionDetail detail, string key)
    {
        var output = string.IsNullOrEmpty(detail.Output) ? null : JsonNode.Parse(detail.Output) as JsonObject;
        var labels = (output?["CustomLabels"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(l => new CustomLabel(Text(l["Name"]) ?? string.Empty, Number(l["Confidence"]), LabelGeometryJson.Read(l["Geometry"])))
            .ToList();
        return new DetectionOutcome(
            labels, detail.Summary.ExecutionId, key, Text(output?["HumanLoopName"]), Text(output?["VersionName"]), Number(output?["Threshold"]));
    }

    /// <summary>The product's exception for the error a detection run failed with.</summary>
    private static Exception ReasonOf(ExecutionDetail detail)
    {
        var cause = detail.Cause ?? detail.Error ?? "The detection run failed.";
        return detail.Error switch
        {
            WorkflowErrors.NoRunningModel => new ModelNotRunningException(cause),
            WorkflowErrors.InvalidImage => new InvalidImageException(cause),
            WorkflowErrors.ImageTooLarge => new ImageTooLargeException(cause),
            WorkflowErrors.InvalidInput => new DetectionOptionException("metadata", cause),
            _ => new WorkflowTaskException(detail.Error ?? "States.Runtime", cause),
        };
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static float Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<float>(out var number) ? number : 0f;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Detection run {ExecutionId} of {Key} did not end within {Timeout}")]
    private static partial void LogStillRunning(ILogger logger, string executionId, string key, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Detection run {ExecutionId} of {Key} ended {Status}: {Error}")]
    private static partial void LogRunFailed(ILogger logger, string executionId, string key, ExecutionStatus status, string? error);
}
