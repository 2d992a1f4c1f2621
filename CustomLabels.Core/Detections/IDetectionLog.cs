namespace CustomLabels.Core.Detections;

/// <summary>
/// The detection log (the DynamoDB table of the AWS design): every detection and every review of one.
/// Embedded: SQLite; AWS: DynamoDB.
/// </summary>
public interface IDetectionLog
{
    /// <summary>Records a detection. Recording the same request id again replaces nothing and succeeds.</summary>
    Task RecordDetectionAsync(DetectionRecord record, CancellationToken cancellationToken = default);

    /// <summary>Records the human loop created for a detection.</summary>
    Task RecordHumanLoopAsync(string requestId, string humanLoopName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a review's outcome (once; recording it again changes nothing): the human label (null for none of the
    /// above), the training key it was copied to, and for none of the above the key it was kept under in
    /// <c>images_rejected/</c>.
    /// </summary>
    Task RecordReviewAsync(string humanLoopName, string? humanLabel, string? copiedKey, string? rejectedKey = null, CancellationToken cancellationToken = default);

    /// <summary>One detection, or null.</summary>
    Task<DetectionRecord?> GetAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Detections, newest first, filtered and paged.</summary>
    Task<DetectionPage> QueryAsync(DetectionQuery query, CancellationToken cancellationToken = default);
}

/// <summary>One detection and what became of it.</summary>
public sealed record DetectionRecord
{
    /// <summary>The request id (the execution's name or the API request's id).</summary>
    public required string RequestId { get; init; }

    /// <summary>When it was detected.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The image's key under <c>images_for_detection/</c>.</summary>
    public required string ObjectKey { get; init; }

    /// <summary>The version that detected it.</summary>
    public string? VersionName { get; init; }

    /// <summary>The top label, or null when none.</summary>
    public string? Label { get; init; }

    /// <summary>The top label's confidence (0..100), or 0.</summary>
    public float Confidence { get; init; }

    /// <summary>Every label the model returned, best first, each with the region that decided it when the model gave one.</summary>
    public IReadOnlyList<Models.CustomLabel> Labels { get; init; } = [];

    /// <summary>Minimum-Label-Detection-Confidence when it was detected.</summary>
    public float Threshold { get; init; }

    /// <summary>The human loop created for it, if any.</summary>
    public string? HumanLoopName { get; init; }

    /// <summary>The reviewer's label; null until reviewed or for none of the above.</summary>
    public string? HumanLabel { get; init; }

    /// <summary>Where the reviewed image was copied in the training set.</summary>
    public string? CopiedKey { get; init; }

    /// <summary>Where an image answered "none of the above" was kept, under <c>images_rejected/</c>; null otherwise.</summary>
    public string? RejectedKey { get; init; }

    /// <summary>Who asked (user name or API key name), when known; for people to read.</summary>
    public string? RequestedBy { get; init; }

    /// <summary>
    /// The principal id of who asked (<c>user:&lt;id&gt;</c>, <c>api-key-id:&lt;id&gt;</c>), when known: what a caller's
    /// own detections are found by, since two callers may read alike but never share an id.
    /// </summary>
    public string? RequesterId { get; init; }

    /// <summary>The execution that ran the detection.</summary>
    public string? ExecutionId { get; init; }

    /// <summary>Its ordinal among all detections (1, 2, ...), used by sampling.</summary>
    public long Sequence { get; init; }

    /// <summary>The image's ETag (its content's identity) when it was detected.</summary>
    public string? ImageETag { get; init; }

    /// <summary>When a reviewer answered its loop; set for "none of the above" too, whose human label stays null.</summary>
    public DateTimeOffset? ReviewedAt { get; init; }
}

/// <summary>Which detections to list.</summary>
/// <param name="Search">Text matched against key, label, human label and loop name.</param>
/// <param name="RequesterId">Only those one caller asked for, by principal id.</param>
/// <param name="AfterSequence">Only those after this sequence number (sampling).</param>
/// <param name="NextToken">The token of the previous page.</param>
/// <param name="MaxResults">The page size, 1 to 500.</param>
/// <param name="OldestFirst">List in sequence order (oldest first) instead of newest first.</param>
/// <param name="ObjectKey">Only the detections of the image with exactly this key.</param>
public sealed record DetectionQuery(
    string? Search = null,
    string? RequesterId = null,
    long? AfterSequence = null,
    string? NextToken = null,
    int MaxResults = 50,
    bool OldestFirst = false,
    string? ObjectKey = null);

/// <summary>A page of detections.</summary>
public sealed record DetectionPage(IReadOnlyList<DetectionRecord> Items, string? NextToken);
