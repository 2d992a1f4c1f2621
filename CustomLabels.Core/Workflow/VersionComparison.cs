using System.Text.Json;
using System.Text.Json.Serialization;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// The F1 gate's decision about a new version, kept in the bucket at <c>evaluation/&lt;version&gt;/comparison.json</c>
/// (camelCase JSON): the version's F1 on its test split against Minimum-F1-Score, and the running version's F1 on
/// the same test images, scored by the same function (<see cref="Models.EvaluationSummary.FromPredictions"/>). Written
/// once per version by the training branch's EvaluateVersion step; a step run again reads the decision back.
/// </summary>
public sealed record VersionComparison
{
    /// <summary>The new version.</summary>
    public required string VersionName { get; init; }

    /// <summary>The new version's F1 on its test split, or null when it has none.</summary>
    public double? F1Score { get; init; }

    /// <summary>Minimum-F1-Score when the decision was made.</summary>
    public required double MinimumF1Score { get; init; }

    /// <summary>How many test images the new version was evaluated on.</summary>
    public int TestImages { get; init; }

    /// <summary>The version that was running when the decision was made, when one was.</summary>
    public string? RunningVersion { get; init; }

    /// <summary>The running version's F1 on the same test images, when it was scored.</summary>
    public double? RunningVersionF1Score { get; init; }

    /// <summary>How many of the test images the running version was scored on (at most the comparison bound).</summary>
    public int ComparedImages { get; init; }

    /// <summary>How much lower than the running version's F1 the new version's may be (the MaxF1Drop step option).</summary>
    public required double MaxF1Drop { get; init; }

    /// <summary>Whether the new version passed the gate and is deployed.</summary>
    public required bool Deploy { get; init; }

    /// <summary>The decision in plain words, with both figures.</summary>
    public required string Reason { get; init; }

    /// <summary>When the decision was made.</summary>
    public required DateTimeOffset DecidedAt { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The comparison's key for a version: <c>evaluation/&lt;version&gt;/comparison.json</c>.</summary>
    public static string KeyFor(string versionName) =>
        $"{BucketLayout.Evaluation}{ObjectKey.ValidateSegment(versionName, "version name")}/comparison.json";

    /// <summary>Reads a version's comparison, or null when none was made.</summary>
    /// <exception cref="InvalidDataException">The object is not a comparison.</exception>
    public static async Task<VersionComparison?> TryReadAsync(IObjectStore store, string versionName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = KeyFor(versionName);
        byte[] bytes;
        try
        {
            bytes = await store.ReadAllBytesAsync(key, cancellationToken);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<VersionComparison>(bytes, Json)
                ?? throw new InvalidDataException($"'{key}' holds no version comparison.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{key}' is not a version comparison: {e.Message}", e);
        }
    }

    /// <summary>Writes the comparison to the bucket at <see cref="KeyFor"/> of its version.</summary>
    public async Task WriteAsync(IObjectStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await store.PutBytesAsync(KeyFor(VersionName), JsonSerializer.SerializeToUtf8Bytes(this, Json), cancellationToken: cancellationToken);
    }
}
