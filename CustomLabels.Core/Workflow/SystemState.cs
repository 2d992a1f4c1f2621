using System.Text.Json;
using System.Text.Json.Serialization;
using CustomLabels.Core.Parameters;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// The pipeline's own state, kept as JSON in the For-System-Use-Only parameter (as in the AWS design): which
/// version serves detections, which served before it, the manifests the serving version was trained and tested on (its
/// trained image set, and the images of no label it learnt from), the sticky test split, the bucket and how far
/// sampling has counted. Fields it does not know are kept as they are.
/// </summary>
public sealed record SystemState
{
    /// <summary>The bucket the manifests' <c>source-ref</c>s point into.</summary>
    public string? Bucket { get; init; }

    /// <summary>The version that detection uses, or null before the first deployment.</summary>
    public string? RunningVersion { get; init; }

    /// <summary>The running version's ARN.</summary>
    public string? RunningVersionArn { get; init; }

    /// <summary>When the running version was deployed.</summary>
    public DateTimeOffset? RunningSince { get; init; }

    /// <summary>The manifest the running version was trained from: with <see cref="TrainedTestManifestKey"/>, the trained image set.</summary>
    public string? TrainedManifestKey { get; init; }

    /// <summary>
    /// The negatives manifest (images answered "none of the above") the running version was trained with; null when it
    /// was trained with none, or by a model that does not learn from them.
    /// </summary>
    public string? TrainedNegativesManifestKey { get; init; }

    /// <summary>The test manifest the running version was evaluated on, when it had one: its test images are not new either.</summary>
    public string? TrainedTestManifestKey { get; init; }

    /// <summary>
    /// The sticky test split: the test manifest of the latest version whose manifests were written. The next version's
    /// test split keeps every image of it that is still in the training set. Null before the first such version.
    /// </summary>
    public StickyTestSplit? TestSplit { get; init; }

    /// <summary>The version that served before the running one (stopped by the deployment).</summary>
    public string? PreviousVersion { get; init; }

    /// <summary>The detection sequence number of the last sample taken for review; 0 before the first.</summary>
    public long LastSampledSequence { get; init; }

    /// <summary>Fields written by others (e.g. ARNs of an AWS deployment), kept when the state is rewritten.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads the state from the parameter's value; an empty or blank value is the initial state.</summary>
    /// <exception cref="FormatException">The value is not a JSON object of this shape.</exception>
    public static SystemState Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return new SystemState();
        }

        try
        {
            return JsonSerializer.Deserialize<SystemState>(json, Json) ?? new SystemState();
        }
        catch (JsonException e)
        {
            throw new FormatException($"{ParameterNames.ForSystemUseOnly} does not hold the system state: {e.Message}", e);
        }
    }

    /// <summary>The state as the parameter's value.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Which test manifest the sticky test split is in, and which one it was chained from.</summary>
/// <param name="VersionName">The version whose manifests were written last.</param>
/// <param name="TestManifestKey">Its test manifest: the images the next version keeps in its test split.</param>
/// <param name="ChainedFromKey">
/// The test manifest its own split kept images of (the version before it), or null for the first; writing the same
/// version's manifests again chains from this one, so a step run twice splits the same way.
/// </param>
public sealed record StickyTestSplit(string VersionName, string TestManifestKey, string? ChainedFromKey);

/// <summary>Reads and updates <see cref="SystemState"/> in the parameter store, one update at a time in this process.</summary>
public sealed class SystemStateStore(IParameterStore parameters) : IDisposable
{
    /// <summary>Who the parameter's history names as the writer.</summary>
    public const string ChangedBy = "system";

    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>The current state.</summary>
    public async Task<SystemState> ReadAsync(CancellationToken cancellationToken = default) =>
        SystemState.Parse((await parameters.GetAsync(ParameterNames.ForSystemUseOnly, cancellationToken)).Value);

    /// <summary>Applies a change and writes it, unless it changes nothing. Returns the new state.</summary>
    public async Task<SystemState> UpdateAsync(Func<SystemState, SystemState> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var current = await ReadAsync(cancellationToken);
            var next = change(current);
            if (next.ToJson() != current.ToJson())
            {
                await parameters.PutAsync(ParameterNames.ForSystemUseOnly, next.ToJson(), ChangedBy, cancellationToken);
            }

            return next;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}
