using System.Text.Json.Serialization;

namespace CustomLabels.Core.Models;

/// <summary>
/// The custom-label model, shaped like Amazon Rekognition Custom Labels (image-level labels): project versions
/// trained from a Ground Truth manifest, started with inference units, and detection on a running version.
/// Embedded: a pretrained ResNet18 (ONNX Runtime) with a trained head; AWS: Rekognition.
/// </summary>
public interface ICustomLabelsModel
{
    /// <summary>Starts training a new version from a manifest in the bucket. Returns at once with TRAINING_IN_PROGRESS.</summary>
    Task<ProjectVersion> CreateProjectVersionAsync(CreateProjectVersionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Describes the named versions, or every version (newest first) when <paramref name="versionNames"/> is null.</summary>
    Task<IReadOnlyList<ProjectVersion>> DescribeProjectVersionsAsync(
        IReadOnlyCollection<string>? versionNames = null,
        CancellationToken cancellationToken = default);

    /// <summary>Starts a trained version with this many inference units (STARTING, then RUNNING).</summary>
    Task<ProjectVersion> StartProjectVersionAsync(string versionName, int minInferenceUnits, CancellationToken cancellationToken = default);

    /// <summary>Stops a running version (STOPPING, then STOPPED).</summary>
    Task<ProjectVersion> StopProjectVersionAsync(string versionName, CancellationToken cancellationToken = default);

    /// <summary>
    /// True when training uses images that show none of the labels (<see cref="CreateProjectVersionRequest.NegativesManifestKey"/>)
    /// as evidence: the embedded model does, Rekognition does not.
    /// </summary>
    bool LearnsFromRejectedImages => false;

    /// <summary>Detects custom labels in an image with a running version.</summary>
    /// <exception cref="ModelNotRunningException">The version is not running.</exception>
    /// <exception cref="InvalidImageException">The image is not one the model can read.</exception>
    Task<DetectCustomLabelsResult> DetectCustomLabelsAsync(DetectCustomLabelsRequest request, CancellationToken cancellationToken = default);
}

/// <summary>The statuses of a project version (Rekognition's names on the wire).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProjectVersionStatus>))]
public enum ProjectVersionStatus
{
    /// <summary>Training.</summary>
    [JsonStringEnumMemberName("TRAINING_IN_PROGRESS")] TrainingInProgress,

    /// <summary>Trained and evaluated.</summary>
    [JsonStringEnumMemberName("TRAINING_COMPLETED")] TrainingCompleted,

    /// <summary>Training failed; the status message says why.</summary>
    [JsonStringEnumMemberName("TRAINING_FAILED")] TrainingFailed,

    /// <summary>Being started.</summary>
    [JsonStringEnumMemberName("STARTING")] Starting,

    /// <summary>Serving detections.</summary>
    [JsonStringEnumMemberName("RUNNING")] Running,

    /// <summary>A start failed.</summary>
    [JsonStringEnumMemberName("FAILED")] Failed,

    /// <summary>Being stopped.</summary>
    [JsonStringEnumMemberName("STOPPING")] Stopping,

    /// <summary>Stopped; can be started again.</summary>
    [JsonStringEnumMemberName("STOPPED")] Stopped,

    /// <summary>Being deleted.</summary>
    [JsonStringEnumMemberName("DELETING")] Deleting,

    /// <summary>Being copied from another project (Rekognition's CopyProjectVersion).</summary>
    [JsonStringEnumMemberName("COPYING_IN_PROGRESS")] CopyingInProgress,

    /// <summary>Copied from another project.</summary>
    [JsonStringEnumMemberName("COPYING_COMPLETED")] CopyingCompleted,

    /// <summary>A copy failed.</summary>
    [JsonStringEnumMemberName("COPYING_FAILED")] CopyingFailed,

    /// <summary>Deprecated by the service; it can no longer be started.</summary>
    [JsonStringEnumMemberName("DEPRECATED")] Deprecated,

    /// <summary>Expired; it can no longer be started.</summary>
    [JsonStringEnumMemberName("EXPIRED")] Expired,

    /// <summary>A status the service added after this version of the product; <see cref="ProjectVersion.StatusText"/> has it.</summary>
    [JsonStringEnumMemberName("OTHER")] Other,
}

/// <summary>What to train.</summary>
/// <param name="VersionName">The new version's name, unique in the project.</param>
/// <param name="TrainingManifestKey">The Ground Truth manifest's key in the bucket (<c>manifests/&lt;version&gt;.manifest</c>).</param>
/// <param name="TestManifestKey">A test manifest; when null, a test set is split off automatically.</param>
/// <param name="NegativesManifestKey">
/// A manifest of images that show none of the labels (the reviewers' "none of the above", under
/// <c>images_rejected/</c>), for a model that learns from them (<see cref="ICustomLabelsModel.LearnsFromRejectedImages"/>);
/// its lines carry no class. Null when there are none.
/// </param>
public sealed record CreateProjectVersionRequest(string VersionName, string TrainingManifestKey, string? TestManifestKey = null, string? NegativesManifestKey = null);

/// <summary>One project version, as DescribeProjectVersions reports it.</summary>
public sealed record ProjectVersion
{
    /// <summary>The version's name.</summary>
    public required string VersionName { get; init; }

    /// <summary>The version's ARN (embedded: a stable pseudo-ARN).</summary>
    public required string ProjectVersionArn { get; init; }

    /// <summary>The status.</summary>
    public required ProjectVersionStatus Status { get; init; }

    /// <summary>The status as the service named it, when it is one the product does not know (<see cref="ProjectVersionStatus.Other"/>); null otherwise.</summary>
    public string? StatusText { get; init; }

    /// <summary>Why the status is what it is, notably why training failed.</summary>
    public string? StatusMessage { get; init; }

    /// <summary>When training was requested.</summary>
    public required DateTimeOffset CreationTimestamp { get; init; }

    /// <summary>When training ended, successfully or not.</summary>
    public DateTimeOffset? TrainingEndTimestamp { get; init; }

    /// <summary>Training progress from 0 to 1 while training (embedded only).</summary>
    public double? TrainingProgress { get; init; }

    /// <summary>The inference units it was started with.</summary>
    public int? MinInferenceUnits { get; init; }

    /// <summary>The training manifest's key.</summary>
    public string? TrainingManifestKey { get; init; }

    /// <summary>The test manifest's key, when one was given; null when the test set was split off.</summary>
    public string? TestManifestKey { get; init; }

    /// <summary>The negatives manifest's key, when one was given.</summary>
    public string? NegativesManifestKey { get; init; }

    /// <summary>How many images trained the version.</summary>
    public int? TrainingImageCount { get; init; }

    /// <summary>How many images tested it.</summary>
    public int? TestImageCount { get; init; }

    /// <summary>Overall F1 on the test set, once evaluated.</summary>
    public double? F1Score { get; init; }

    /// <summary>The key of the evaluation summary in the bucket (<c>evaluation/&lt;version&gt;/…</c>), once evaluated.</summary>
    public string? EvaluationSummaryKey { get; init; }
}

/// <summary>A detection request.</summary>
/// <param name="VersionName">The running version to use.</param>
/// <param name="Image">The encoded image bytes (JPEG, PNG, ...).</param>
/// <param name="MinConfidence">Labels below this confidence (0..100) are left out; Rekognition's default is the per-label threshold, here 0 when null.</param>
/// <param name="MaxResults">The most labels to return; all when null.</param>
public sealed record DetectCustomLabelsRequest(string VersionName, ReadOnlyMemory<byte> Image, float? MinConfidence = null, int? MaxResults = null)
{
    /// <summary>
    /// The image's key in the pipeline's bucket, when it is stored there (null when it is not): Rekognition is then
    /// given the object (<c>Image.S3Object</c>, up to 15 MB) instead of the bytes (<c>Image.Bytes</c>, at most 5 MB).
    /// The embedded model reads <see cref="Image"/> either way.
    /// </summary>
    public string? ImageKey { get; init; }
}

/// <summary>DetectCustomLabels' answer.</summary>
/// <param name="CustomLabels">The labels, best first.</param>
public sealed record DetectCustomLabelsResult(IReadOnlyList<CustomLabel> CustomLabels);

/// <summary>One label with its confidence from 0 to 100, and the region that decided it when the model says.</summary>
/// <param name="Name">The label.</param>
/// <param name="Confidence">The confidence, 0 to 100.</param>
/// <param name="Geometry">The region of the image that decided the label (embedded model: for every label), or null.</param>
public sealed record CustomLabel(string Name, float Confidence, LabelGeometry? Geometry = null);

/// <summary>No project version has this name (Rekognition's ResourceNotFoundException); HTTP 404.</summary>
public sealed class ProjectVersionNotFoundException(string message, Exception? inner = null) : NotFoundException(message, inner);

/// <summary>
/// The version is in a state that refuses the call, or its name is taken (Rekognition's ResourceInUseException,
/// ConflictException); HTTP 409.
/// </summary>
public sealed class ProjectVersionConflictException(string message, Exception? inner = null) : ConflictException(message, inner);

/// <summary>The version is not running (Rekognition's ResourceNotReadyException); HTTP 503.</summary>
public sealed class ModelNotRunningException(string message) : InvalidOperationException(message);

/// <summary>The image is not one the model can read (Rekognition's InvalidImageFormatException); HTTP 415.</summary>
public sealed class InvalidImageException(string message, Exception? inner = null) : ArgumentException(message, inner);

/// <summary>The image is larger than allowed, in bytes or in pixels (Rekognition's ImageTooLargeException); HTTP 413.</summary>
public sealed class ImageTooLargeException(string message) : ArgumentException(message);
