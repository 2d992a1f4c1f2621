namespace CustomLabels.Core.Models.Embedded;

/// <summary>One training image's samples, its label's index and its validation fold.</summary>
internal sealed record TrainingImage(int LabelIndex, int Fold, ImageSamples Samples);

/// <summary>What the validation split measured for the chosen scoring and calibration (training images only).</summary>
/// <param name="Top1Accuracy">Share of held-out views whose best label is right.</param>
/// <param name="Auroc">Top confidence of known views against views of a held-out label and backgrounds.</param>
/// <param name="KnownAccepted">Share of known views accepted at the default threshold with the right label.</param>
/// <param name="UnknownRejected">Share of unknown and background views rejected at the default threshold.</param>
/// <param name="SimilarityWeight">The chosen weight of the nearest-reference similarity.</param>
/// <param name="MarginWeight">The chosen weight of the classifier margin.</param>
/// <param name="ColourWeight">The chosen weight of the colour histogram in region features.</param>
internal sealed record ValidationReport(
    double Top1Accuracy, double Auroc, double KnownAccepted, double UnknownRejected, float SimilarityWeight, float MarginWeight, float ColourWeight = 0);

/// <summary>
/// Trains the head: fits the classifier and the references on every training image, and chooses the scoring and its
/// calibration on an open-set validation split made from the training images only. Each image's held-out composites
/// are scored by a head trained without its fold (a known view) and by one trained without its fold and without its
/// whole label (an unknown view: a subject the head never saw); background-only canvases are unknown views too.
/// </summary>
internal static class HeadTrainer
{
    /// <summary>The confidence under which a detection counts as rejected, for the validation figures.</summary>
    public const float DefaultThreshold = 70;

    private const int Folds = 2;
    private const int MaxReferencesPerLabel = 384;
    private const int MaxValidationImagesPerLabel = 12;
    private const double Lambda = 1.0;

    private static readonly (float Similarity, float Margin)[] ScoringChoices = [(1, 0), (1, 0.25f), (1, 0.5f), (1, 1), (0, 1)];

    public static (OpenSetHead Head, ValidationReport Report) Train(
        string[] labels, IReadOnlyList<TrainingImage> images, IReadOnlyList<ImageSamples> backgrounds, IReadOnlyList<float> colourWeights)
    {
        (OpenSetHead Head, ValidationReport Report)? best = null;
        foreach (var colourWeight in colourWeights)
        {
            var trained = Train(labels, images, backgrounds, colourWeight);
            if (best is null || trained.Report.Auroc > best.Value.Report.Auroc + 1e-9)
            {
                best = trained;
            }
        }

        return best ?? throw new ArgumentException("No colour weight to try.", nameof(colourWeights));
    }

    private static (OpenSetHead Head, ValidationReport Report) Train(
        string[] labels, IReadOnlyList<TrainingImage> images, IReadOnlyList<ImageSamples> backgrounds, float colourWeight)
    {
        var center = MeanOf(images.Select(i => i.Samples).Concat(backgrounds));
        images = [.. images.Select(i => i with { Samples = Centered(i.Samples, center, colourWeight) })];
        backgrounds = [.. backgrounds.Select(b => Centered(b, center, colourWeight))];
        var classes = labels.Length + 1;
        var fitter = new RidgeFitter(classes, Lambda);
        var subjectGroups = new RidgeFitter.Group[Folds, labels.Length];
        var backgroundGroups = new RidgeFitter.Group[Folds];
        for (var f = 0; f < Folds; f++)
        {
            var fold = f;
            for (var c = 0; c < labels.Length; c++)
            {
                var label = c;
                subjectGroups[f, c] = RidgeFitter.Accumulate(c, Rows(images.Where(i => i.Fold == fold && i.LabelIndex == label), SampleRole.Subject));
            }

            backgroundGroups[f] = RidgeFitter.Accumulate(labels.Length, Rows(images.Where(i => i.Fold == fold), SampleRole.Background));
        }

        var canvasGroup = RidgeFitter.Accumulate(labels.Length, backgrounds.SelectMany(b => RowsOf(b, SampleRole.Background)));
        var validationCanvases = backgrounds.SelectMany(ViewsOf).ToList();

        var known = new List<Candidates>();
        var unknown = new List<Candidates>();
        for (var f = 0; f < Folds; f++)
        {
            // Validation needs a fair sample per label, not every image; large sets keep training time in check.
            var held = images.Where(i => i.Fold == f).GroupBy(i => i.LabelIndex).SelectMany(g => g.Take(MaxValidationImagesPerLabel)).ToList();
            if (held.Count == 0)
            {
                continue;
            }

            var head = Build(labels, center, colourWeight, fitter, images, subjectGroups, backgroundGroups, canvasGroup, excludedFold: f, excludedLabel: -1);
            foreach (var image in held)
            {
                known.AddRange(ViewsOf(image.Samples).Select(v => new Candidates(image.LabelIndex, head.Candidates(v))));
            }

            unknown.AddRange(validationCanvases.Select(v => new Candidates(-1, head.Candidates(v))));
            for (var c = 0; c < labels.Length; c++)
            {
                var label = c;
                var ofLabel = held.Where(i => i.LabelIndex == label).ToList();
                if (ofLabel.Count == 0)
                {
                    continue;
                }

                var without = Build(labels, center, colourWeight, fitter, images, subjectGroups, backgroundGroups, canvasGroup, excludedFold: f, excludedLabel: c);
                foreach (var image in ofLabel)
                {
                    unknown.AddRange(ViewsOf(image.Samples).Select(v => new Candidates(-1, without.Candidates(v))));
                }
            }
        }

        var final = Build(labels, center, colourWeight, fitter, images, subjectGroups, backgroundGroups, canvasGroup, excludedFold: -1, excludedLabel: -1);
        if (known.Count == 0 || unknown.Count == 0)
        {
            return (final, new ValidationReport(double.NaN, double.NaN, double.NaN, double.NaN, final.SimilarityWeight, final.MarginWeight, colourWeight));
        }

        ValidationReport? best = null;
        foreach (var (similarity, margin) in ScoringChoices)
        {
            var knownTop = known.Select(k => k.Top(similarity, margin)).ToList();
            var unknownTop = unknown.Select(u => u.Top(similarity, margin).Score).ToList();
            var auroc = Metrics.Auroc([.. knownTop.Select(k => (double)k.Score)], [.. unknownTop.Select(s => (double)s)]);
            if (best is null || auroc > best.Auroc + 1e-9)
            {
                best = new ValidationReport(0, auroc, 0, 0, similarity, margin, colourWeight);
            }
        }

        final.SimilarityWeight = best!.SimilarityWeight;
        final.MarginWeight = best.MarginWeight;
        var knownScores = known.Select(k => (k.Top(final.SimilarityWeight, final.MarginWeight), k.Label)).ToList();
        var unknownScores = unknown.Select(u => u.Top(final.SimilarityWeight, final.MarginWeight).Score).ToList();

        // Calibrated as the probability that the best label is accepted rightly: right known views are positives;
        // wrong known views, views of a label the head never saw and backgrounds are negatives.
        var points = knownScores.Select(k => (Score: (double)k.Item1.Score, Positive: k.Item1.Label == k.Label))
            .Concat(unknownScores.Select(s => ((double)s, false)))
            .ToList();
        var (slope, offset) = Metrics.FitLogistic(points);
        final.CalibrationSlope = (float)slope;
        final.CalibrationOffset = (float)offset;

        var correct = knownScores.Count(k => k.Item1.Label == k.Label);
        var accepted = knownScores.Count(k => k.Item1.Label == k.Label && final.Confidence(k.Item1.Score) >= DefaultThreshold);
        var rejected = unknownScores.Count(s => final.Confidence(s) < DefaultThreshold);
        var report = best with
        {
            Top1Accuracy = correct / (double)known.Count,
            KnownAccepted = accepted / (double)known.Count,
            UnknownRejected = rejected / (double)unknownScores.Count,
        };
        return (final, report);
    }

    private static OpenSetHead Build(
        string[] labels,
        float[] center,
        float colourWeight,
        RidgeFitter fitter,
        IReadOnlyList<TrainingImage> images,
        RidgeFitter.Group[,] subjectGroups,
        RidgeFitter.Group[] backgroundGroups,
        RidgeFitter.Group canvasGroup,
        int excludedFold,
        int excludedLabel)
    {
        var groups = new List<RidgeFitter.Group> { canvasGroup };
        for (var f = 0; f < Folds; f++)
        {
            if (f == excludedFold)
            {
                continue;
            }

            groups.Add(backgroundGroups[f]);
            for (var c = 0; c < labels.Length; c++)
            {
                if (c != excludedLabel)
                {
                    groups.Add(subjectGroups[f, c]);
                }
            }
        }

        var references = new float[labels.Length][];
        for (var c = 0; c < labels.Length; c++)
        {
            var label = c;
            var rows = c == excludedLabel
                ? []
                : Rows(images.Where(i => i.LabelIndex == label && i.Fold != excludedFold), SampleRole.Subject).ToList();
            var stride = Math.Max(1.0, rows.Count / (double)MaxReferencesPerLabel);
            var kept = new List<float>();
            for (var r = 0.0; r < rows.Count; r += stride)
            {
                kept.AddRange(rows[(int)r]);
            }

            references[c] = [.. kept];
        }

        return new OpenSetHead { Labels = labels, Center = center, ColourWeight = colourWeight, Weights = fitter.Solve(groups), References = references };
    }

    /// <summary>The mean of every subject and background sample.</summary>
    private static float[] MeanOf(IEnumerable<ImageSamples> all)
    {
        var sum = new double[RegionFeatures.Dimension];
        long count = 0;
        foreach (var samples in all)
        {
            for (var i = 0; i < samples.Count; i++)
            {
                if (samples.Roles[i] != SampleRole.ValidationWindow)
                {
                    var row = samples.Row(i);
                    for (var c = 0; c < sum.Length; c++)
                    {
                        sum[c] += row[c];
                    }

                    count++;
                }
            }
        }

        return [.. sum.Select(s => (float)(s / Math.Max(1, count)))];
    }

    /// <summary>
    /// A copy of the samples whose subject and background rows have the centre subtracted and are normalised again.
    /// Validation windows stay as extracted: the head centres the regions it scores itself.
    /// </summary>
    private static ImageSamples Centered(ImageSamples samples, float[] center, float colourWeight)
    {
        var embeddings = samples.Embeddings.ToArray();
        for (var i = 0; i < samples.Count; i++)
        {
            if (samples.Roles[i] != SampleRole.ValidationWindow)
            {
                OpenSetHead.CenterRows(embeddings.AsSpan(i * RegionFeatures.Dimension, RegionFeatures.Dimension), center, colourWeight);
            }
        }

        return new ImageSamples(samples.Roles, samples.Variants, embeddings);
    }

    private static IEnumerable<float[]> Rows(IEnumerable<TrainingImage> images, SampleRole role) =>
        images.SelectMany(i => RowsOf(i.Samples, role));

    private static IEnumerable<float[]> RowsOf(ImageSamples samples, SampleRole role)
    {
        for (var i = 0; i < samples.Count; i++)
        {
            if (samples.Roles[i] == role)
            {
                yield return samples.Row(i).ToArray();
            }
        }
    }

    /// <summary>The whole validation views of an image: per variant, all its windows' embeddings.</summary>
    private static List<float[]> ViewsOf(ImageSamples samples)
    {
        var views = new List<float[]>();
        foreach (var variant in samples.Variants.Where((_, i) => samples.Roles[i] == SampleRole.ValidationWindow).Distinct())
        {
            var rows = new List<float>();
            for (var i = 0; i < samples.Count; i++)
            {
                if (samples.Roles[i] == SampleRole.ValidationWindow && samples.Variants[i] == variant)
                {
                    rows.AddRange(samples.Row(i));
                }
            }

            views.Add([.. rows]);
        }

        return views;
    }

    private sealed record Candidates(int Label, OpenSetHead.Candidate[][] PerLabel)
    {
        public (int Label, float Score) Top(float similarity, float margin)
        {
            var (bestLabel, bestScore) = (-1, float.NegativeInfinity);
            for (var c = 0; c < PerLabel.Length; c++)
            {
                foreach (var candidate in PerLabel[c])
                {
                    var score = (similarity * candidate.Similarity) + (margin * candidate.Margin);
                    if (score > bestScore)
                    {
                        (bestLabel, bestScore) = (c, score);
                    }
                }
            }

            return (bestLabel, bestScore);
        }
    }
}
