using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded;
using CustomLabels.Web.Api.Detection;
using Microsoft.Extensions.Options;

namespace CustomLabels.Web.Components.Pages.Detection;

/// <summary>What a detection from the dashboard came to.</summary>
public sealed record DetectionOutcome(
    IReadOnlyList<CustomLabel> Labels,
    string ExecutionId,
    string? HumanLoopName,
    string ObjectKey,
    ExecutionStatus Status,
    string? Error);

/// <summary>
/// A consumer's detection from the dashboard, by the one path every detection takes: the image is stored under
/// <c>images_for_detection/</c> and the detection run that it starts is awaited.
/// </summary>
public sealed class ConsumerDetection(IObjectStore store, IWorkflowService workflow, ServingVersion serving, IOptions<WorkflowOptions> workflowOptions)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <exception cref="InvalidImageException">Not an image.</exception>
    /// <exception cref="ImageTooLargeException">Too large.</exception>
    /// <exception cref="ModelNotRunningException">No version serves, and none is being deployed in time.</exception>
    public async Task<DetectionOutcome> DetectAsync(string fileName, byte[] image, System.Security.Claims.ClaimsPrincipal requestedBy, CancellationToken cancellationToken)
    {
        var info = ImageInspector.Inspect(image);
        await serving.WaitAsync(Timeout, cancellationToken); // during the first deployment, waits for it

        var safeName = new string([.. Path.GetFileName(fileName).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]).Trim('.', '_', '-');
        var key = $"{BucketLayout.DetectionImages}{Guid.NewGuid():N}-{(safeName.Length is > 0 and <= 100 ? safeName : $"image.{info.Format.ToLowerInvariant()}")}";
        var stored = await store.CreateBytesAsync(key, image, DetectEndpoints.RequesterMetadata(requestedBy), cancellationToken);

        // Named for the object, so the bucket's own event shares this one execution instead of starting another.
        var run = await workflow.StartExecutionAsync(
            WorkflowEvents.ObjectCreated(workflowOptions.Value.BucketName, stored).ToJsonString(),
            ExecutionNames.ForObject(stored.Key, stored.ETag),
            cancellationToken);
        var detail = await workflow.WaitForCompletionAsync(run.ExecutionId, Timeout, cancellationToken);
        var result = DetectionResult.From(detail, key);
        var labels = result.CustomLabels.Select(l => new CustomLabel(l.Name, l.Confidence, l.Geometry)).ToList();
        var loop = result.HumanLoopName;
        return new DetectionOutcome(labels, run.ExecutionId, loop, key, detail.Summary.Status, detail.Error is null ? null : $"{detail.Error}: {detail.Cause}");
    }
}
