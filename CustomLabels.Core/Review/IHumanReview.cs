namespace CustomLabels.Core.Review;

/// <summary>
/// Human review, shaped like the Amazon A2I runtime: human loops with a name, an input and a status. When a
/// loop completes, its answer is written in A2I's output format under <c>a2i-human-loop-data/</c>.
/// Embedded: SQLite, answered in the dashboard; AWS: A2I with a workforce's labeling portal.
/// </summary>
public interface IHumanReview
{
    /// <summary>Starts a loop. Starting a loop with a name that exists returns the existing loop.</summary>
    Task<HumanLoop> StartHumanLoopAsync(StartHumanLoopRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// The loop in progress for an image, or null: matched by <paramref name="imageETag"/> (the same content under any
    /// key) when given, else by <paramref name="imageKey"/>.
    /// </summary>
    Task<HumanLoop?> FindOpenHumanLoopAsync(string imageKey, string? imageETag, CancellationToken cancellationToken = default);

    /// <summary>Describes a loop, or null when there is none with this name.</summary>
    Task<HumanLoop?> DescribeHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default);

    /// <summary>Lists loops by status and creation time, one page at a time.</summary>
    Task<HumanLoopPage> ListHumanLoopsAsync(HumanLoopQuery query, CancellationToken cancellationToken = default);

    /// <summary>Stops a loop that is in progress.</summary>
    Task StopHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default);

    /// <summary>Deletes a loop that is not in progress.</summary>
    Task DeleteHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a reviewer's answer: completes the loop and writes its <c>output.json</c>.
    /// </summary>
    /// <exception cref="HumanLoopConflictException">The loop is not InProgress; HTTP 409.</exception>
    Task<HumanLoop> AnswerHumanLoopAsync(string humanLoopName, HumanLoopAnswer answer, string workerId, CancellationToken cancellationToken = default);
}

/// <summary>A2I's loop statuses.</summary>
public enum HumanLoopStatus
{
    /// <summary>Waiting for a reviewer.</summary>
    InProgress,

    /// <summary>Answered.</summary>
    Completed,

    /// <summary>Failed.</summary>
    Failed,

    /// <summary>Being stopped.</summary>
    Stopping,

    /// <summary>Stopped without an answer.</summary>
    Stopped,
}

/// <summary>Why a loop was created.</summary>
public enum HumanLoopReason
{
    /// <summary>The detection's confidence was below Minimum-Label-Detection-Confidence.</summary>
    LowConfidence,

    /// <summary>Every n-th detection is sampled; sampling loops never add to the training set.</summary>
    Sampling,
}

/// <summary>What a reviewer sees: the image and what the model thought.</summary>
/// <param name="ImageKey">The image's key under <c>images_for_detection/</c>.</param>
/// <param name="Labels">The model's labels, best first, each with the region that decided it when the model gave one.</param>
/// <param name="Reason">Low confidence or sampling.</param>
/// <param name="RequestId">The detection's request id in the detection log.</param>
/// <param name="KnownLabels">The labels the running model knows, offered to the reviewer.</param>
public sealed record HumanLoopInput(
    string ImageKey,
    IReadOnlyList<Models.CustomLabel> Labels,
    HumanLoopReason Reason,
    string? RequestId,
    IReadOnlyList<string> KnownLabels)
{
    /// <summary>The image's ETag, so that one image (under any key) has at most one loop in progress.</summary>
    public string? ImageETag { get; init; }
}

/// <summary>A request to start a loop.</summary>
public sealed record StartHumanLoopRequest(string HumanLoopName, HumanLoopInput Input);

/// <summary>
/// A reviewer's answer: a label (known or new), or none of the above. With a label, the reviewer may also give the
/// region of the image that shows it (<see cref="BoundingBox"/>), which the training copy keeps in its metadata.
/// </summary>
public sealed record HumanLoopAnswer(string? Label, bool NoneOfTheAbove)
{
    /// <summary>
    /// The region the reviewer drew around what shows the label, as fractions of the image; null when the reviewer drew
    /// none (the model then locates the label itself). Never given with none of the above.
    /// </summary>
    public Models.BoundingBox? BoundingBox { get; init; }

    /// <summary>An answer naming a label, with the region that shows it when the reviewer drew one.</summary>
    public static HumanLoopAnswer ForLabel(string label, Models.BoundingBox? boundingBox = null) => new(label, false) { BoundingBox = boundingBox };

    /// <summary>"None of the above".</summary>
    public static HumanLoopAnswer None { get; } = new(null, true);

    /// <summary>
    /// Why the answer's region cannot be kept, or null when it can (no region, or a valid one with a label): a region
    /// goes with a label only, lies inside the image and is not degenerate.
    /// </summary>
    public string? RegionProblem() => BoundingBox switch
    {
        null => null,
        _ when NoneOfTheAbove || Label is null => "A box shows where a label is: give it with a label, not with none of the above.",
        { IsValid: false } box => string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"The box (Left {box.Left}, Top {box.Top}, Width {box.Width}, Height {box.Height}) is not inside the image: Left and Top must be "
            + $"from 0, Left + Width and Top + Height at most 1, and Width and Height at least {Models.BoundingBox.MinimumSide}, as fractions of the image."),
        _ => null,
    };
}

/// <summary>One human loop.</summary>
public sealed record HumanLoop
{
    /// <summary>The loop's name.</summary>
    public required string HumanLoopName { get; init; }

    /// <summary>The loop's ARN.</summary>
    public required string HumanLoopArn { get; init; }

    /// <summary>The flow definition's ARN.</summary>
    public required string FlowDefinitionArn { get; init; }

    /// <summary>The status.</summary>
    public required HumanLoopStatus Status { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreationTime { get; init; }

    /// <summary>What the reviewer sees.</summary>
    public required HumanLoopInput Input { get; init; }

    /// <summary>Why it failed, when it did.</summary>
    public string? FailureReason { get; init; }

    /// <summary>The key of <c>output.json</c> once completed.</summary>
    public string? OutputKey { get; init; }

    /// <summary>The answer once completed.</summary>
    public HumanLoopAnswer? Answer { get; init; }

    /// <summary>Who answered.</summary>
    public string? AnsweredBy { get; init; }

    /// <summary>When it was answered.</summary>
    public DateTimeOffset? AnsweredAt { get; init; }
}

/// <summary>A page of loops.</summary>
public sealed record HumanLoopPage(IReadOnlyList<HumanLoop> HumanLoops, string? NextToken);

/// <summary>Which loops to list.</summary>
/// <param name="Status">Only loops with this status; all when null.</param>
/// <param name="CreatedAfter">Only loops created after this time.</param>
/// <param name="CreatedBefore">Only loops created before this time.</param>
/// <param name="Ascending">Oldest first when true; newest first by default.</param>
/// <param name="NextToken">The token from the previous page.</param>
/// <param name="MaxResults">The page size, 1 to 100.</param>
public sealed record HumanLoopQuery(
    HumanLoopStatus? Status = null,
    DateTimeOffset? CreatedAfter = null,
    DateTimeOffset? CreatedBefore = null,
    bool Ascending = false,
    string? NextToken = null,
    int MaxResults = 50);

/// <summary>The loop is not in a state that allows the operation; HTTP 409.</summary>
public sealed class HumanLoopConflictException(string message, Exception? inner = null) : ConflictException(message, inner);

/// <summary>No loop has this name; HTTP 404.</summary>
public sealed class HumanLoopNotFoundException(string name, Exception? inner = null) : NotFoundException($"There is no human loop named '{name}'.", inner);
