namespace CustomLabels.Core.Models.Embedded;

/// <summary>One training image's samples, its label's index and its validation fold; a photo is learnt by region.</summary>
internal sealed record TrainingImage(int LabelIndex, int Fold, ImageSamples Samples, bool Photo = false);

/// <summary>What the validation split measured for the chosen scoring and calibration (training images only).</summary>
/// <param name="Top1Accuracy">Share of held-out views whose best label is right.</param>
/// <param name="Auroc">Top confidence of known views against views of a held-out label and backgrounds.</param>
/// <param name="KnownAccepted">Share of known views accepted at the default threshold with the right label.</param>
/// <param name="UnknownRejected">Share of unknown and background views rejected at the default threshold.</param>
/// <param name="SimilarityWeight">The chosen weight of the nearest-reference similarity.</param>
/// <param name="MarginWeight">The chosen weight of the classifier margin.</param>
/// <param name="ColourWeight">The chosen weight of the colour histogram in region features.</param>
/// <param name="NegativeWeight">The chosen weight of the similarity to the nearest negative (subtracted).</param>
/// <param name="KnownViews">How many known views validated the head.</param>
/// <param name="UnknownViews">How many unknown views (held-out labels, generated logos, backgrounds) did.</param>
/// <param name="RealKnownViews">Held-out photos among the training images (real known views, not composites).</param>
/// <param name="RealKnownAccepted">Share of those accepted at the default threshold with the right label.</param>
/// <param name="RealUnknownViews">Held-out rejected images (real unknown views).</param>
/// <param name="RealUnknownRejected">Share of those rejected at the default threshold.</param>
internal sealed record ValidationReport(
    double Top1Accuracy,
    double Auroc,
    double KnownAccepted,
    double UnknownRejected,
    float SimilarityWeight,
    float MarginWeight,
    float ColourWeight = 0,
    float NegativeWeight = 0,
    int KnownViews = 0,
    int UnknownViews = 0,
    int RealKnownViews = 0,
    double RealKnownAccepted = double.NaN,
    int RealUnknownViews = 0,
    double RealUnknownRejected = double.NaN);

/// <summary>
/// Trains the head: fits the classifier and the references on every training image, and chooses the scoring and its
/// calibration on an open-set validation split made from the training images only. Each image's held-out composites
/// are scored by a head trained without its fold (a known view) and by one trained without its fold and without its
/// whole label (an unknown view: a subject the head never saw); background-only canvases and held-out generated logos
/// (<see cref="ForeignLogos"/>) are unknown views too.
/// <para>
/// Negatives (generated logos, and the regions of rejected images that looked most like a label) join the classifier's
/// background class; only the generated ones are negative references for the score. Photos (answered by reviewers)
/// teach the classifier by region but are no label's references: a photo's background comes back in other photos, and
/// a reference near it would name them all. The scoring and the calibration are chosen on the generated views alone
/// (composites, held-out labels, generated logos, canvases), the same kind of views in every version, so a confidence
/// means the same from one version to the next; held-out photos and rejected images are measured and reported apart.
/// </para>
/// </summary>
internal static class HeadTrainer
{
    /// <summary>The confidence under which a detection counts as rejected, for the validation figures.</summary>
    public const float DefaultThreshold = 70;

    private const int Folds = 2;
    private const int MaxReferencesPerLabel = 384;
    private const int MaxValidationImagesPerLabel = 12;
    private const double Lambda = 1.0;

    private const int MaxNegativeReferences = 768;



    private static readonly (float Similarity, float Margin, float Negative)[] ScoringChoices =
        [.. from n in new[] { 0f, 0.25f, 0.5f, 0.75f, 1f } from sm in new[] { (1f, 0f), (1f, 0.25f), (1f, 0.5f), (1f, 1f), (0f, 1f) } select (sm.Item1, sm.Item2, n)];

    public static (OpenSetHead Head, ValidationReport Report) Train(
        string[] labels,
        IReadOnlyList<TrainingImage> images,
        IReadOnlyList<ImageSamples> backgrounds,
        IReadOnlyList<ImageSamples> foreign,
        IReadOnlyList<float> colourWeights,
        int generatedForeign = int.MaxValue)
    {
        (OpenSetHead Head, ValidationReport Report)? best = null;
        foreach (var colourWeight in colourWeights)
        {
            var trained = Train(labels, images, backgrounds, foreign, colourWeight, generatedForeign);
            if (best is null || trained.Report.Auroc > best.Value.Report.Auroc + 1e-9)
            {
                best = trained;
            }
        }

        return best ?? throw new ArgumentException("No colour weight to try.", nameof(colourWeights));
    }

    /// <summary>
    /// Fits a head on every image without validating it: fixed scoring weights and no calibration. For finding where a
    /// photo shows its label, and which regions of a rejected image look like one, before the real training.
    /// </summary>
    public static OpenSetHead Fit(
        string[] labels, IReadOnlyList<TrainingImage> images, IReadOnlyList<ImageSamples> backgrounds, IReadOnlyList<ImageSamples> foreign, float colourWeight)
    {
        var head = new Setup(labels, images, backgrounds, foreign, colourWeight).Build(excludedFold: -1, excludedLabel: -1);
        head.SimilarityWeight = 1;
        head.MarginWeight = 0.5f;
        head.NegativeWeight = 0.5f;
        return head;
    }

    private static (OpenSetHead Head, ValidationReport Report) Train(
        string[] labels, IReadOnlyList<TrainingImage> images, IReadOnlyList<ImageSamples> backgrounds, IReadOnlyList<ImageSamples> foreign, float colourWeight, int generatedForeign)
    {
        var setup = new Setup(labels, images, backgrounds, foreign, colourWeight, generatedForeign);
        images = setup.Images;
        foreign = setup.Foreign;
        var validationCanvases = setup.Backgrounds.SelectMany(ViewsOf).ToList();

        // Every held-out view with the head that scores it; scored on every core, in order, so the result is the same.
        // Validation needs a fair sample per label, not every image; large sets keep training time in check.
        var heldOut = Enumerable.Range(0, Folds)
            .Select(f => images.Where(i => i.Fold == f).GroupBy(i => i.LabelIndex).SelectMany(g => g.Take(MaxValidationImagesPerLabel)).ToList())
            .ToList();

        // The heads without a fold, and without a fold and a label, that validation needs: one solve each, on every core.
        var heads = Enumerable.Range(0, Folds)
            .Where(f => heldOut[f].Count > 0)
            .SelectMany(f => heldOut[f].Select(i => i.LabelIndex).Distinct().Prepend(-1).Select(c => (Fold: f, Label: c)))
            .AsParallel()
            .Select(k => (Key: k, Head: setup.Build(k.Fold, k.Label)))
            .ToDictionary(h => h.Key, h => h.Head);
        var knownViews = new List<(OpenSetHead Head, float[] View, int Label, bool Real)>();
        var unknownViews = new List<(OpenSetHead Head, float[] View, int Label, bool Real)>();
        for (var f = 0; f < Folds; f++)
        {
            var held = heldOut[f];
            if (held.Count == 0)
            {
                continue;
            }

            var head = heads[(f, -1)];
            foreach (var image in held)
            {
                knownViews.AddRange(ViewsOf(image.Samples).Select(v => (head, v, image.LabelIndex, image.Photo)));
            }

            unknownViews.AddRange(validationCanvases.Select(v => (head, v, -1, false)));
            unknownViews.AddRange(foreign.Select((x, i) => (x, i)).Where(p => p.i % Folds == f).SelectMany(p => ViewsOf(p.x).Select(v => (head, v, -1, p.i >= generatedForeign))));
            for (var c = 0; c < labels.Length; c++)
            {
                var label = c;
                var ofLabel = held.Where(i => i.LabelIndex == label).ToList();
                if (ofLabel.Count == 0)
                {
                    continue;
                }

                var without = heads[(f, c)];
                foreach (var image in ofLabel)
                {
                    unknownViews.AddRange(ViewsOf(image.Samples).Select(v => (without, v, -1, image.Photo)));
                }
            }
        }

        var known = Score(knownViews);
        var unknown = Score(unknownViews);

        var final = setup.Build(excludedFold: -1, excludedLabel: -1);
        var real = (Known: known.Where(k => k.Real).ToList(), Unknown: unknown.Where(u => u.Real).ToList());
        known = [.. known.Where(k => !k.Real)];
        unknown = [.. unknown.Where(u => !u.Real)];

        if (known.Count == 0 || unknown.Count == 0)
        {
            return (final, new ValidationReport(double.NaN, double.NaN, double.NaN, double.NaN, final.SimilarityWeight, final.MarginWeight, colourWeight));
        }

        ValidationReport? best = null;
        var bestNegative = 0f;
        foreach (var (similarity, margin, negative) in ScoringChoices)
        {
            var knownTop = known.Select(k => k.Top(similarity, margin, negative)).ToList();
            var unknownTop = unknown.Select(u => u.Top(similarity, margin, negative).Score).ToList();
            var auroc = Metrics.Auroc([.. knownTop.Select(k => (double)k.Score)], [.. unknownTop.Select(s => (double)s)]);
            if (best is null || auroc > best.Auroc + 1e-9)
            {
                best = new ValidationReport(0, auroc, 0, 0, similarity, margin, colourWeight, negative, known.Count, unknown.Count);
                bestNegative = negative;
            }
        }

        final.SimilarityWeight = best!.SimilarityWeight;
        final.MarginWeight = best.MarginWeight;
        final.NegativeWeight = bestNegative;
        var knownScores = known.Select(k => (k.Top(final.SimilarityWeight, final.MarginWeight, final.NegativeWeight), k.Label)).ToList();
        var unknownScores = unknown.Select(u => u.Top(final.SimilarityWeight, final.MarginWeight, final.NegativeWeight).Score).ToList();

        // Calibrated as the probability that the best label is accepted rightly: right known views are positives;
        // wrong known views, views of a label the head never saw and backgrounds are negatives.
        var points = knownScores.Select(k => (Score: (double)k.Item1.Score, Positive: k.Item1.Label == k.Label))
            .Concat(unknownScores.Select(s => ((double)s, false)))
            .ToList();
        var (slope, offset) = Metrics.FitLogistic(points, balanced: true);
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
            RealKnownViews = real.Known.Count,
            RealKnownAccepted = real.Known.Count == 0 ? double.NaN
                : real.Known.Count(k => k.Top(final.SimilarityWeight, final.MarginWeight, final.NegativeWeight) is var t && t.Label == k.Label && final.Confidence(t.Score) >= DefaultThreshold) / (double)real.Known.Count,
            RealUnknownViews = real.Unknown.Count,
            RealUnknownRejected = real.Unknown.Count == 0 ? double.NaN
                : real.Unknown.Count(u => final.Confidence(u.Top(final.SimilarityWeight, final.MarginWeight, final.NegativeWeight).Score) < DefaultThreshold) / (double)real.Unknown.Count,
        };
        return (final, report);
    }

    /// <summary>
    /// The centred samples and the classifier's sufficient statistics per fold and label, from which a head without
    /// any fold or label costs one solve.
    /// </summary>
    private sealed class Setup
    {
        private readonly string[] _labels;
        private readonly float[] _center;
        private readonly float _colourWeight;
        private readonly RidgeFitter _fitter;
        private readonly RidgeFitter.Group[,] _subjectGroups;
        private readonly RidgeFitter.Group[] _backgroundGroups;
        private readonly RidgeFitter.Group[] _foreignGroups;
        private readonly RidgeFitter.Group _canvasGroup;
        private readonly int _generatedForeign;

        public Setup(
            string[] labels, IReadOnlyList<TrainingImage> images, IReadOnlyList<ImageSamples> backgrounds, IReadOnlyList<ImageSamples> foreign, float colourWeight, int generatedForeign = int.MaxValue)
        {
            _generatedForeign = generatedForeign;
            _labels = labels;
            _colourWeight = colourWeight;
            _center = MeanOf(images.Select(i => i.Samples).Concat(backgrounds).Concat(foreign));
            Images = [.. images.Select(i => i with { Samples = Centered(i.Samples, _center, colourWeight) })];
            Backgrounds = [.. backgrounds.Select(b => Centered(b, _center, colourWeight))];
            Foreign = [.. foreign.Select(b => Centered(b, _center, colourWeight))];
            _fitter = new RidgeFitter(labels.Length + 1, Lambda);
            _subjectGroups = new RidgeFitter.Group[Folds, labels.Length];
            _backgroundGroups = new RidgeFitter.Group[Folds];
            _foreignGroups = new RidgeFitter.Group[Folds];

            // Each group's statistics are their own: accumulated on every core.
            var work = new List<Action>();
            for (var f = 0; f < Folds; f++)
            {
                var fold = f;
                for (var c = 0; c < labels.Length; c++)
                {
                    var label = c;
                    work.Add(() => _subjectGroups[fold, label] = RidgeFitter.Accumulate(label, Images.Where(i => i.Fold == fold && i.LabelIndex == label).Select(i => i.Samples), SampleRole.Subject));
                }

                work.Add(() => _backgroundGroups[fold] = RidgeFitter.Accumulate(labels.Length, Images.Where(i => i.Fold == fold).Select(i => i.Samples), SampleRole.Background));
                work.Add(() => _foreignGroups[fold] = RidgeFitter.Accumulate(labels.Length, Foreign.Where((_, i) => i % Folds == fold), SampleRole.Foreign));
            }

            RidgeFitter.Group? canvas = null;
            work.Add(() => canvas = RidgeFitter.Accumulate(labels.Length, Backgrounds, SampleRole.Background));
            Parallel.Invoke([.. work]);
            _canvasGroup = canvas!;
        }

        public List<TrainingImage> Images { get; }

        public List<ImageSamples> Backgrounds { get; }

        public List<ImageSamples> Foreign { get; }

        /// <summary>A head trained without the images (and generated negatives) of one fold, and without one label; -1 for none.</summary>
        public OpenSetHead Build(int excludedFold, int excludedLabel)
        {
            var groups = new List<RidgeFitter.Group> { _canvasGroup };
            for (var f = 0; f < Folds; f++)
            {
                if (f == excludedFold)
                {
                    continue;
                }

                groups.Add(_backgroundGroups[f]);
                groups.Add(_foreignGroups[f]);
                for (var c = 0; c < _labels.Length; c++)
                {
                    if (c != excludedLabel)
                    {
                        groups.Add(_subjectGroups[f, c]);
                    }
                }
            }

            var references = new float[_labels.Length][];
            for (var c = 0; c < _labels.Length; c++)
            {
                var label = c;
                references[c] = c == excludedLabel
                    ? []
                    : Subsample([.. Images.Where(i => i.LabelIndex == label && i.Fold != excludedFold && !i.Photo).Select(i => i.Samples)], SampleRole.Subject, MaxReferencesPerLabel);
            }

            return new OpenSetHead
            {
                Labels = _labels,
                Center = _center,
                ColourWeight = _colourWeight,
                Weights = _fitter.Solve(groups),
                References = references,
                NegativeReferences = Subsample(
                    [.. Foreign.Where((_, i) => (excludedFold < 0 || i % Folds != excludedFold) && i < _generatedForeign)], SampleRole.Foreign, MaxNegativeReferences),
            };
        }
    }

    private static List<Candidates> Score(List<(OpenSetHead Head, float[] View, int Label, bool Real)> views) =>
        [.. views.AsParallel().AsOrdered().Select(v => new Candidates(v.Label, v.Head.Candidates(v.View), v.Real))];

    /// <summary>
    /// At most <paramref name="max"/> of the samples' rows of one role (in order), evenly spaced, concatenated; only the
    /// kept rows are copied.
    /// </summary>
    private static float[] Subsample(List<ImageSamples> samples, SampleRole role, int max)
    {
        var positions = new List<(ImageSamples Samples, int Row)>();
        foreach (var s in samples)
        {
            for (var i = 0; i < s.Count; i++)
            {
                if (s.Roles[i] == role)
                {
                    positions.Add((s, i));
                }
            }
        }

        var stride = Math.Max(1.0, positions.Count / (double)max);
        var kept = new List<float>();
        for (var r = 0.0; r < positions.Count; r += stride)
        {
            var (of, row) = positions[(int)r];
            kept.AddRange(of.Row(row));
        }

        return [.. kept];
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

    private sealed record Candidates(int Label, OpenSetHead.Candidate[][] PerLabel, bool Real = false)
    {
        public (int Label, float Score) Top(float similarity, float margin, float negative)
        {
            var (bestLabel, bestScore) = (-1, float.NegativeInfinity);
            for (var c = 0; c < PerLabel.Length; c++)
            {
                foreach (var candidate in PerLabel[c])
                {
                    var score = candidate.Score(similarity, margin, negative);
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
