using CustomLabels.Core.Models;

namespace CustomLabels.Core.Detections;

/// <summary>
/// Submitting a detection, the one path every detection takes (the HTTP API and the dashboard alike): the image is
/// checked, stored under <c>images_for_detection/</c>, and the detection run that the new object starts is awaited
/// within <see cref="DetectionOptions.DetectionTimeout"/>.
/// </summary>
public interface IDetectionSubmitter
{
    /// <summary>Submits an image for detection and returns what its run found.</summary>
    /// <exception cref="InvalidImageException">Not an image the model reads; nothing is stored.</exception>
    /// <exception cref="ImageTooLargeException">Too many bytes or pixels; nothing is stored.</exception>
    /// <exception cref="DetectionOptionException">An option out of its range; nothing is stored.</exception>
    /// <exception cref="ModelNotRunningException">No version serves, and none is deployed in time; nothing is stored.</exception>
    /// <exception cref="DetectionRunException">The run did not succeed in time; its inner exception says why.</exception>
    Task<DetectionOutcome> SubmitAsync(DetectionRequest request, CancellationToken cancellationToken);
}

/// <summary>An image to detect labels in, and the sender's options.</summary>
/// <param name="FileName">The name it was sent with; cleaned into its key, or replaced when nothing of it is left.</param>
/// <param name="Image">The encoded image.</param>
public sealed record DetectionRequest(string? FileName, ReadOnlyMemory<byte> Image)
{
    /// <summary>The lowest confidence (0..100) to return; all labels when null.</summary>
    public float? MinConfidence { get; init; }

    /// <summary>The most labels to return (1..1000); all when null.</summary>
    public int? MaxResults { get; init; }

    /// <summary>Who asked, for people to read (user name or API key name).</summary>
    public string? RequestedBy { get; init; }

    /// <summary>Who asked, by principal id (see <see cref="Accounts.Callers"/>).</summary>
    public string? RequesterId { get; init; }
}

/// <summary>What a detection run found.</summary>
/// <param name="Labels">The labels the sender asked for (its MinConfidence and MaxResults applied), best first.</param>
/// <param name="ExecutionId">The detection run.</param>
/// <param name="ObjectKey">The image's key under <c>images_for_detection/</c>.</param>
/// <param name="HumanLoopName">The human loop the detection went to, or null when it was confident enough.</param>
/// <param name="VersionName">The version that detected it.</param>
/// <param name="Threshold">The Minimum-Label-Detection-Confidence that the run compared with, whatever it is now.</param>
public sealed record DetectionOutcome(
    IReadOnlyList<CustomLabel> Labels,
    string ExecutionId,
    string ObjectKey,
    string? HumanLoopName,
    string? VersionName,
    float Threshold);

/// <summary>
/// A detection run that was started but did not succeed: it failed (the inner exception is the product's exception
/// for its error, e.g. <see cref="ModelNotRunningException"/>) or did not end in time (a <see cref="TimeoutException"/>).
/// </summary>
public sealed class DetectionRunException(string executionId, string objectKey, string message, Exception reason) : Exception(message, reason)
{
    /// <summary>The run, to follow or to look into.</summary>
    public string ExecutionId { get; } = executionId;

    /// <summary>The stored image.</summary>
    public string ObjectKey { get; } = objectKey;
}
