using CustomLabels.Core.Models;

namespace CustomLabels.Tests.Core.Models;

/// <summary>Each label's assumed threshold, chosen on the test split, and the figures taken at it.</summary>
public sealed class EvaluationSummaryTests
{
    private static readonly DateTimeOffset End = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    // A hand-made test split: each image's true label, the model's best label and its confidence.
    private static readonly (string Truth, string Predicted, float Confidence)[] Predictions =
    [
        // acme (3 positives): right at 90, 80 and 25; two globex images taken for acme at 60 and 30. Accepting down to
        // 80 gives F1 0.8; down to 60 lets a globex in (0.667), down to 25 finds the third acme with both (0.75).
        ("acme", "acme", 90), ("acme", "acme", 80), ("acme", "acme", 25), ("globex", "acme", 60), ("globex", "acme", 30),
        // globex (5 positives): right at 45 and 40, one seen as nothing; a hooli image taken for globex at 20.
        ("globex", "globex", 45), ("globex", "globex", 40), ("globex", string.Empty, 0), ("hooli", "globex", 20),
        // hooli (2 positives): nothing is predicted as hooli. initech: no positive, and a hooli image taken for it.
        ("hooli", "initech", 70),
    ];

    private static readonly string[] Labels = ["acme", "globex", "hooli", "initech"];

    private static EvaluationSummary Summary() =>
        EvaluationSummary.FromPredictions(Labels, Predictions, EvaluationSummary.DefaultThreshold, "arn:test", 40, End);

    private static LabelEvaluationResult Label(EvaluationSummary summary, string label) =>
        summary.LabelEvaluationResults.Single(l => l.Label == label);

    /// <summary>A label's F1 when its predictions count from <paramref name="threshold"/> (0..100), computed from scratch.</summary>
    private static double F1At(string label, float threshold)
    {
        var truePositives = Predictions.Count(p => p.Predicted == label && p.Confidence >= threshold && p.Truth == label);
        var predicted = Predictions.Count(p => p.Predicted == label && p.Confidence >= threshold);
        var actual = Predictions.Count(p => p.Truth == label);
        return truePositives == 0 ? 0 : 2.0 * truePositives / (predicted + actual);
    }

    [Fact]
    public void EachLabelsThresholdIsTheConfidenceThatMaximisesItsF1OnTheTestSplit()
    {
        var summary = Summary();

        Assert.Equal(0.80, Label(summary, "acme").Metrics.Threshold);
        Assert.Equal(0.40, Label(summary, "globex").Metrics.Threshold);
        foreach (var label in new[] { "acme", "globex" })
        {
            var chosen = (float)(Label(summary, label).Metrics.Threshold * 100);
            var best = Enumerable.Range(0, 1001).Select(t => F1At(label, t / 10f)).Max();
            Assert.Equal(best, F1At(label, chosen), 6);
            Assert.Equal(Math.Round(best, 4), Label(summary, label).Metrics.F1Score);
        }
    }

    [Fact]
    public void TheFiguresAreTakenAtEachLabelsOwnThreshold()
    {
        var summary = Summary();

        var acme = Label(summary, "acme").Metrics;
        Assert.Equal((0.8, 1.0, 0.6667), (acme.F1Score, acme.Precision, acme.Recall)); // both accepted are right, 2 of 3 found
        var globex = Label(summary, "globex").Metrics;
        Assert.Equal((0.5714, 1.0, 0.4), (globex.F1Score, globex.Precision, globex.Recall)); // the hooli at 20 is left out
        Assert.Equal(0, Label(summary, "hooli").Metrics.F1Score);

        // Macro average over the labels that have test images: acme, globex and hooli.
        Assert.Equal(Math.Round((0.8 + 0.5714 + 0) / 3, 4), summary.AggregatedEvaluationResults.F1Score);
        var matrix = summary.AggregatedEvaluationResults.ConfusionMatrix.ToDictionary(e => (e.GroundTruthLabel, e.PredictedLabel), e => e.Value);
        Assert.Equal(2, matrix[("acme", "acme")]);
        Assert.Equal(1, matrix[("acme", EvaluationSummary.NoLabel)]); // the acme at 25, below acme's 80
        Assert.Equal(3, matrix[("globex", EvaluationSummary.NoLabel)]); // nothing, and the two below acme's 80
        Assert.Equal(1, matrix[("hooli", "initech")]); // initech keeps the default 50, and 70 reaches it
        Assert.Equal(1, matrix[("hooli", EvaluationSummary.NoLabel)]); // globex at 20, below globex's 40
    }

    [Fact]
    public void ALabelWithNoPositiveTestImageOrNoTruePositiveKeepsTheDefaultThreshold()
    {
        var summary = Summary();

        Assert.Equal(EvaluationSummary.DefaultThreshold / 100.0, Label(summary, "initech").Metrics.Threshold);
        Assert.Equal(0, Label(summary, "initech").NumberOfTestingImages);
        Assert.Equal(EvaluationSummary.DefaultThreshold / 100.0, Label(summary, "hooli").Metrics.Threshold);
    }

    [Fact]
    public void OnATieTheHigherThresholdIsChosen()
    {
        // Two acme positives. From 90: one right of one accepted, F1 2/3. From 50: two right of four accepted, F1 2/3.
        (string, string, float)[] predictions =
        [
            ("acme", "acme", 90), ("globex", "acme", 70), ("globex", "acme", 60), ("acme", "acme", 50), ("globex", "globex", 80),
        ];

        var summary = EvaluationSummary.FromPredictions(["acme", "globex"], predictions, 50, "arn:test", 5, End);

        var acme = summary.LabelEvaluationResults.Single(l => l.Label == "acme").Metrics;
        Assert.Equal(0.9, acme.Threshold);
        Assert.Equal((0.6667, 1.0, 0.5), (acme.F1Score, acme.Precision, acme.Recall));
    }
}
