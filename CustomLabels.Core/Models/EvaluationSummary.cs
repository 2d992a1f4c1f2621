using System.Text.Json;
using System.Text.Json.Serialization;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Models;

/// <summary>
/// A version's evaluation in the shape of Rekognition Custom Labels' summary file, stored under
/// <c>evaluation/&lt;version&gt;/</c>. Both backends write or read this shape, so views show the same figures.
/// </summary>
public sealed record EvaluationSummary
{
    /// <summary>The summary file's format version.</summary>
    public int Version { get; init; } = 1;

    /// <summary>The figures over every label.</summary>
    public required AggregatedEvaluationResults AggregatedEvaluationResults { get; init; }

    /// <summary>What was evaluated.</summary>
    public required EvaluationDetails EvaluationDetails { get; init; }

    /// <summary>Per label.</summary>
    public required IReadOnlyList<LabelEvaluationResult> LabelEvaluationResults { get; init; }

    /// <summary>The options that read and write the file: property names as Rekognition spells them.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The summary's key for a version: <c>evaluation/&lt;version&gt;/EvaluationResultSummary-&lt;version&gt;.json</c>.</summary>
    public static string KeyFor(string versionName) =>
        $"{BucketLayout.Evaluation}{ObjectKey.ValidateSegment(versionName, "version name")}/EvaluationResultSummary-{versionName}.json";

    /// <summary>The label a prediction below its threshold counts as in the confusion matrix.</summary>
    public const string NoLabel = "none";

    /// <summary>
    /// The confidence (0..100) a label's threshold keeps when the test split cannot choose one: the label has no
    /// positive test image, or no threshold gets it a true positive. 50, the calibrated midpoint.
    /// </summary>
    public const float DefaultThreshold = 50;

    /// <summary>
    /// Computes a summary from test predictions: each test image's true label, its best predicted label and that
    /// label's confidence (0..100). Each label's threshold is its assumed threshold, as Rekognition Custom Labels
    /// chooses it: the confidence that maximises the label's F1 on these predictions (the confidence of the least
    /// confident prediction it accepts; on a tie, the higher threshold). A label with no positive test image, or that
    /// no threshold gives a true positive, keeps <paramref name="defaultThreshold"/> (by default
    /// <see cref="DefaultThreshold"/>). A prediction counts for its label when its confidence reaches that label's
    /// threshold, and as <see cref="NoLabel"/> otherwise; overall figures are macro averages over the labels that have
    /// test images.
    /// </summary>
    public static EvaluationSummary FromPredictions(
        IReadOnlyList<string> labels,
        IReadOnlyList<(string Truth, string Predicted, float Confidence)> predictions,
        float defaultThreshold,
        string projectVersionArn,
        int trainingImages,
        DateTimeOffset evaluationEnd)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predictions);
        var thresholds = labels.Distinct(StringComparer.Ordinal)
            .ToDictionary(l => l, l => AssumedThreshold(l, predictions, defaultThreshold), StringComparer.Ordinal);
        var counted = predictions.Select(p => (
            p.Truth,
            Predicted: p.Predicted.Length > 0 && p.Confidence >= thresholds.GetValueOrDefault(p.Predicted, defaultThreshold) ? p.Predicted : NoLabel)).ToList();
        var perLabel = labels.Select(label =>
        {
            var truePositives = counted.Count(p => p.Truth == label && p.Predicted == label);
            var predicted = counted.Count(p => p.Predicted == label);
            var actual = counted.Count(p => p.Truth == label);
            var precision = predicted == 0 ? 0 : truePositives / (double)predicted;
            var recall = actual == 0 ? 0 : truePositives / (double)actual;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new LabelEvaluationResult
            {
                Label = label,
                NumberOfTestingImages = actual,
                Metrics = new LabelMetrics
                {
                    F1Score = Math.Round(f1, 4),
                    Precision = Math.Round(precision, 4),
                    Recall = Math.Round(recall, 4),
                    Threshold = Math.Round(thresholds[label] / 100.0, 6),
                },
            };
        }).ToList();
        var tested = perLabel.Where(l => l.NumberOfTestingImages > 0).ToList();
        return new EvaluationSummary
        {
            AggregatedEvaluationResults = new AggregatedEvaluationResults
            {
                F1Score = tested.Count == 0 ? 0 : Math.Round(tested.Average(l => l.Metrics.F1Score), 4),
                Precision = tested.Count == 0 ? 0 : Math.Round(tested.Average(l => l.Metrics.Precision), 4),
                Recall = tested.Count == 0 ? 0 : Math.Round(tested.Average(l => l.Metrics.Recall), 4),
                ConfusionMatrix = [.. counted
                    .GroupBy(p => (p.Truth, p.Predicted))
                    .OrderBy(g => g.Key.Truth, StringComparer.Ordinal).ThenBy(g => g.Key.Predicted, StringComparer.Ordinal)
                    .Select(g => new ConfusionMatrixEntry(g.Key.Truth, g.Key.Predicted, g.Count()))],
            },
            EvaluationDetails = new EvaluationDetails
            {
                EvaluationEndTimestamp = evaluationEnd,
                Labels = [.. labels],
                NumberOfTrainingImages = trainingImages,
                NumberOfTestingImages = predictions.Count,
                ProjectVersionArn = projectVersionArn,
            },
            LabelEvaluationResults = perLabel,
        };
    }

    /// <summary>
    /// A label's assumed threshold on these predictions: of the confidences of the predictions of this label, the one
    /// whose acceptance (every prediction of the label at or above it) gives the label the highest F1, the higher one
    /// on a tie; <paramref name="defaultThreshold"/> when the label has no positive or no threshold finds one.
    /// </summary>
    private static float AssumedThreshold(
        string label, IReadOnlyList<(string Truth, string Predicted, float Confidence)> predictions, float defaultThreshold)
    {
        var actual = predictions.Count(p => p.Truth == label);
        if (actual == 0)
        {
            return defaultThreshold;
        }

        // F1 = 2 TP / (predicted + actual); two F1s are compared exactly, as cross products of integers.
        var ofLabel = predictions.Where(p => p.Predicted == label).OrderByDescending(p => p.Confidence).ToList();
        var (best, bestTruePositives, bestPredicted) = (defaultThreshold, 0L, 0L);
        var (truePositives, accepted) = (0L, 0L);
        for (var i = 0; i < ofLabel.Count; i++)
        {
            accepted++;
            truePositives += ofLabel[i].Truth == label ? 1 : 0;
            if (i + 1 < ofLabel.Count && ofLabel[i + 1].Confidence == ofLabel[i].Confidence)
            {
                continue;
            }

            if (truePositives * (bestPredicted + actual) > bestTruePositives * (accepted + actual))
            {
                (best, bestTruePositives, bestPredicted) = (ofLabel[i].Confidence, truePositives, accepted);
            }
        }

        return bestTruePositives == 0 ? defaultThreshold : best;
    }

    /// <summary>Reads a summary from the bucket.</summary>
    /// <exception cref="ObjectNotFoundException">No summary has this key.</exception>
    /// <exception cref="InvalidDataException">The object is not a summary.</exception>
    public static async Task<EvaluationSummary> ReadAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var bytes = await store.ReadAllBytesAsync(key, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize<EvaluationSummary>(bytes, JsonOptions)
                ?? throw new InvalidDataException($"'{key}' holds no evaluation summary.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{key}' is not an evaluation summary: {e.Message}", e);
        }
    }

    /// <summary>Writes the summary to the bucket at <paramref name="key"/>.</summary>
    public async Task WriteAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await store.PutBytesAsync(key, JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions), cancellationToken: cancellationToken);
    }
}

/// <summary>The overall figures: macro averages over labels, and the confusion matrix.</summary>
public sealed record AggregatedEvaluationResults
{
    /// <summary>F1 score, 0..1.</summary>
    public required double F1Score { get; init; }

    /// <summary>Precision, 0..1.</summary>
    public required double Precision { get; init; }

    /// <summary>Recall, 0..1.</summary>
    public required double Recall { get; init; }

    /// <summary>Test images counted by true label and predicted label (a prediction below its label's threshold is "none").</summary>
    public required IReadOnlyList<ConfusionMatrixEntry> ConfusionMatrix { get; init; }
}

/// <summary>One cell of the confusion matrix.</summary>
/// <param name="GroundTruthLabel">The true label.</param>
/// <param name="PredictedLabel">The predicted label, or "none".</param>
/// <param name="Value">How many test images.</param>
public sealed record ConfusionMatrixEntry(string GroundTruthLabel, string PredictedLabel, int Value);

/// <summary>What was evaluated.</summary>
public sealed record EvaluationDetails
{
    /// <summary>When evaluation ended.</summary>
    public required DateTimeOffset EvaluationEndTimestamp { get; init; }

    /// <summary>The labels.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Images that trained the version.</summary>
    public required int NumberOfTrainingImages { get; init; }

    /// <summary>Images that tested it.</summary>
    public required int NumberOfTestingImages { get; init; }

    /// <summary>The version's ARN.</summary>
    public required string ProjectVersionArn { get; init; }
}

/// <summary>One label's figures.</summary>
public sealed record LabelEvaluationResult
{
    /// <summary>The label.</summary>
    public required string Label { get; init; }

    /// <summary>Test images of this label.</summary>
    public required int NumberOfTestingImages { get; init; }

    /// <summary>The label's metrics at its threshold.</summary>
    public required LabelMetrics Metrics { get; init; }
}

/// <summary>A label's metrics.</summary>
public sealed record LabelMetrics
{
    /// <summary>F1 score, 0..1.</summary>
    public required double F1Score { get; init; }

    /// <summary>Precision, 0..1.</summary>
    public required double Precision { get; init; }

    /// <summary>Recall, 0..1.</summary>
    public required double Recall { get; init; }

    /// <summary>
    /// The label's assumed threshold, the confidence the metrics were taken at, as a share (0..1) of the 0..100
    /// confidence scale: the one that maximises the label's F1 on the test split (see <see cref="EvaluationSummary.FromPredictions"/>).
    /// </summary>
    public required double Threshold { get; init; }
}
