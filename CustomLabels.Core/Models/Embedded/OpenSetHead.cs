using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// The trained head. A ridge classifier over region embeddings (the labels plus background) chooses, per label, the
/// regions that look most like it; a distance-aware score (cosine similarity to that label's nearest reference
/// embedding, plus a weight of the classifier's margin) says how much the best of them resembles the label; a logistic
/// calibration fitted on an open-set validation split turns that score into a confidence from 0 to 100.
/// </summary>
internal sealed class OpenSetHead
{
    private const int Channels = RegionFeatures.Dimension;
    private const int Inputs = Channels + 1;

    /// <summary>The labels, in class-index order.</summary>
    public required string[] Labels { get; init; }

    /// <summary>Classifier weights: (labels + 1 background) x (512 + bias), row-major.</summary>
    public required float[] Weights { get; init; }

    /// <summary>Per label, its reference embeddings (rows of 512).</summary>
    public required float[][] References { get; init; }

    /// <summary>
    /// Embeddings of things that are none of the labels (generated logos, rejected images), rows of 528; a region close
    /// to one of them is less likely to be a label's, whatever it resembles.
    /// </summary>
    public float[] NegativeReferences { get; init; } = [];

    /// <summary>Weight of the similarity to the nearest negative reference, subtracted from the score.</summary>
    public float NegativeWeight { get; set; }

    /// <summary>
    /// The mean training embedding, subtracted from every region embedding before it is normalised again: ReLU features
    /// are all positive, so raw cosine similarities crowd near 1; centred ones spread out.
    /// </summary>
    public required float[] Center { get; init; }

    /// <summary>The colour histogram's share of a region's unit feature vector (the embedding has the rest).</summary>
    public float ColourWeight { get; set; }

    /// <summary>Weight of the similarity to the nearest reference.</summary>
    public float SimilarityWeight { get; set; } = 1;

    /// <summary>Weight of the classifier margin.</summary>
    public float MarginWeight { get; set; }

    /// <summary>How many regions per label, best by classifier margin, get the distance score.</summary>
    public int CandidateRegions { get; set; } = 8;

    /// <summary>Calibration slope: confidence = 100 / (1 + exp(-(slope * (score - offset)))).</summary>
    public float CalibrationSlope { get; set; } = 10;

    /// <summary>Calibration offset.</summary>
    public float CalibrationOffset { get; set; } = 0.5f;

    private int Classes => Labels.Length + 1;

    /// <summary>
    /// A region chosen for a label: its similarity to the label's nearest reference, its classifier margin, its
    /// similarity to the nearest negative reference, and its index among the image's regions.
    /// </summary>
    internal readonly record struct Candidate(float Similarity, float Margin, float NegativeSimilarity, int Region)
    {
        /// <summary>The raw score of this region for its label under the given weights.</summary>
        public float Score(float similarityWeight, float marginWeight, float negativeWeight) =>
            (similarityWeight * Similarity) + (marginWeight * Margin) - (negativeWeight * NegativeSimilarity);
    }

    /// <summary>
    /// The raw score of every label for an image given as region embeddings (rows of 528), with the region that gave
    /// it (its row index, -1 for none); a label with no reference scores negative infinity.
    /// </summary>
    public (float Score, int Region)[] Best(ReadOnlySpan<float> regions)
    {
        var candidates = Candidates(regions);
        var best = new (float Score, int Region)[Labels.Length];
        for (var c = 0; c < Labels.Length; c++)
        {
            best[c] = (float.NegativeInfinity, -1);
            foreach (var candidate in candidates[c])
            {
                var score = candidate.Score(SimilarityWeight, MarginWeight, NegativeWeight);
                if (score > best[c].Score)
                {
                    best[c] = (score, candidate.Region);
                }
            }
        }

        return best;
    }

    /// <summary>The raw score of every label (see <see cref="Best"/>).</summary>
    public float[] Score(ReadOnlySpan<float> regions) => [.. Best(regions).Select(b => b.Score)];

    /// <summary>
    /// Per label, the regions the classifier ranks best for it, with their similarity and margin; given
    /// <paramref name="onlyLabel"/>, that label's alone (the others get none), with the same values.
    /// </summary>
    public Candidate[][] Candidates(ReadOnlySpan<float> rawRegions, int onlyLabel = -1)
    {
        var regionArray = rawRegions.ToArray();
        CenterRows(regionArray, Center, ColourWeight);
        ReadOnlySpan<float> regions = regionArray;
        var count = regions.Length / Channels;
        var logits = new float[count * Classes];
        for (var r = 0; r < count; r++)
        {
            var region = regions.Slice(r * Channels, Channels);
            for (var k = 0; k < Classes; k++)
            {
                var w = Weights.AsSpan(k * Inputs, Inputs);
                logits[(r * Classes) + k] = TensorPrimitives.Dot(w[..Channels], region) + w[Channels];
            }
        }

        // Per label, the regions the classifier ranks best for it; then the similarities they need, in batches: each
        // label's candidates against its references, and every candidate region once against the negative references.
        var take = Math.Min(CandidateRegions, count);
        var chosen = new int[Labels.Length][];
        var chosenMargins = new float[Labels.Length][];
        var margins = new float[count];
        var order = new int[count];
        var isCandidate = new bool[count];
        for (var c = 0; c < Labels.Length; c++)
        {
            if (References[c].Length == 0 || (onlyLabel >= 0 && c != onlyLabel))
            {
                chosen[c] = [];
                chosenMargins[c] = [];
                continue;
            }

            for (var r = 0; r < count; r++)
            {
                var row = logits.AsSpan(r * Classes, Classes);
                var other = float.NegativeInfinity;
                for (var k = 0; k < Classes; k++)
                {
                    if (k != c && row[k] > other)
                    {
                        other = row[k];
                    }
                }

                margins[r] = row[c] - other;
                order[r] = r;
            }

            Array.Sort(margins, order);
            chosen[c] = new int[take];
            chosenMargins[c] = new float[take];
            for (var i = 0; i < take; i++)
            {
                chosen[c][i] = order[count - 1 - i];
                chosenMargins[c][i] = margins[count - 1 - i];
                isCandidate[chosen[c][i]] = true;
            }
        }

        var negative = new float[count];
        if (NegativeReferences.Length > 0)
        {
            var distinct = Enumerable.Range(0, count).Where(r => isCandidate[r]).ToArray();
            var similarities = new float[distinct.Length];
            NearestRows.Find(NegativeReferences, Gather(regions, distinct), similarities);
            for (var i = 0; i < distinct.Length; i++)
            {
                negative[distinct[i]] = similarities[i];
            }
        }

        var result = new Candidate[Labels.Length][];
        var nearest = new float[take];
        for (var c = 0; c < Labels.Length; c++)
        {
            result[c] = new Candidate[chosen[c].Length];
            if (chosen[c].Length == 0)
            {
                continue;
            }

            NearestRows.Find(References[c], Gather(regions, chosen[c]), nearest);
            for (var i = 0; i < chosen[c].Length; i++)
            {
                var r = chosen[c][i];
                result[c][i] = new Candidate(nearest[i], chosenMargins[c][i], negative[r], r);
            }
        }

        return result;
    }

    /// <summary>The calibrated confidence (0..100) of a raw score.</summary>
    public float Confidence(float score) =>
        float.IsNegativeInfinity(score) ? 0 : 100f / (1f + MathF.Exp(-CalibrationSlope * (score - CalibrationOffset)));

    /// <summary>
    /// Subtracts the centre from every row and normalises its embedding block to length sqrt(1 - w^2) and its colour
    /// block to length w, in place; a row's length is then 1 and a dot product weighs the two cues by w^2.
    /// </summary>
    public static void CenterRows(Span<float> rows, ReadOnlySpan<float> center, float colourWeight)
    {
        var embeddingWeight = MathF.Sqrt(1 - (colourWeight * colourWeight));
        for (var offset = 0; offset + Channels <= rows.Length; offset += Channels)
        {
            var row = rows.Slice(offset, Channels);
            TensorPrimitives.Subtract(row, center, row);
            var embedding = row[..RegionFeatures.Cnn];
            RegionPooling.Normalize(embedding);
            TensorPrimitives.Multiply(embedding, embeddingWeight, embedding);
            var colour = row[RegionFeatures.Cnn..];
            RegionPooling.Normalize(colour);
            TensorPrimitives.Multiply(colour, colourWeight, colour);
        }
    }

    /// <summary>The given rows of <paramref name="rows"/>, one after another.</summary>
    private static float[] Gather(ReadOnlySpan<float> rows, int[] indices)
    {
        var gathered = new float[indices.Length * Channels];
        for (var i = 0; i < indices.Length; i++)
        {
            rows.Slice(indices[i] * Channels, Channels).CopyTo(gathered.AsSpan(i * Channels));
        }

        return gathered;
    }
}

/// <summary>
/// Fits the head's classifier by ridge regression in closed form. The Gram matrix of each class's samples is kept
/// apart, so a classifier without some images or without a whole label (for open-set validation) costs one solve.
/// </summary>
internal sealed class RidgeFitter
{
    private const int Channels = RegionFeatures.Dimension;
    private const int Inputs = Channels + 1;

    // A block of rows is laid out with the bias input and zeros up to a whole number of tiles.
    private const int Stride = (Inputs + TileColumns - 1) / TileColumns * TileColumns;
    private const int BlockRows = 256;
    private const int TileRows = 4;
    private const int TileColumns = 16;

    private readonly int _classes;
    private readonly double _lambda;

    public RidgeFitter(int classes, double lambda)
    {
        _classes = classes;
        _lambda = lambda;
    }

    /// <summary>The sufficient statistics of a set of samples of one class: X^T X (upper triangle), X^T 1 and the count.</summary>
    public sealed class Group(int classIndex, double[] gram, double[] sum, int count)
    {
        public int ClassIndex { get; } = classIndex;

        public double[] Gram { get; } = gram;

        public double[] Sum { get; } = sum;

        public int Count { get; } = count;
    }

    /// <summary>
    /// Accumulates X^T X and X^T 1 over the samples' rows of one role (with the bias input), for one class. Rows are
    /// taken in blocks; a block's products are summed in single precision, tile by tile in registers, and added to the
    /// totals in double.
    /// </summary>
    public static Group Accumulate(int classIndex, IEnumerable<ImageSamples> samples, SampleRole role)
    {
        var gram = new double[Inputs * Inputs];
        var block = new float[BlockRows * Stride];
        var filled = 0;
        var count = 0;
        foreach (var of in samples)
        {
            for (var r = 0; r < of.Count; r++)
            {
                if (of.Roles[r] != role)
                {
                    continue;
                }

                var target = block.AsSpan(filled * Stride, Stride);
                of.Row(r).CopyTo(target);
                target[Channels] = 1;
                count++;
                if (++filled == BlockRows)
                {
                    AddProducts(block, filled, gram);
                    filled = 0;
                }
            }
        }

        if (filled > 0)
        {
            AddProducts(block, filled, gram);
        }

        // The bias input is 1 in every row, so its column of X^T X holds the sums.
        var sum = new double[Inputs];
        for (var i = 0; i < Inputs; i++)
        {
            sum[i] = gram[(i * Inputs) + Channels];
        }

        return new Group(classIndex, gram, sum, count);
    }

    /// <summary>Adds the upper triangle of B^T B, for the first <paramref name="rows"/> rows of the block B, to the Gram matrix.</summary>
    private static void AddProducts(float[] block, int rows, double[] gram)
    {
        var tile = new float[TileRows * TileColumns];
        for (var i0 = 0; i0 < Inputs; i0 += TileRows)
        {
            for (var j0 = i0 / TileColumns * TileColumns; j0 < Inputs; j0 += TileColumns)
            {
                MultiplyTile(block, rows, i0, j0, tile);
                for (var di = 0; di < TileRows && i0 + di < Inputs; di++)
                {
                    var i = i0 + di;
                    for (var dj = 0; dj < TileColumns && j0 + dj < Inputs; dj++)
                    {
                        var j = j0 + dj;
                        if (j >= i)
                        {
                            gram[(i * Inputs) + j] += tile[(di * TileColumns) + dj];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The 4 x 16 tile of B^T B at (<paramref name="i0"/>, <paramref name="j0"/>): each row of the block is read once
    /// for the whole tile, and its sums stay in registers.
    /// </summary>
    private static void MultiplyTile(float[] block, int rows, int i0, int j0, float[] tile)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            Array.Clear(tile);
            for (var r = 0; r < rows; r++)
            {
                var row = block.AsSpan(r * Stride, Stride);
                for (var di = 0; di < TileRows; di++)
                {
                    TensorPrimitives.MultiplyAdd(row.Slice(j0, TileColumns), row[i0 + di], tile.AsSpan(di * TileColumns, TileColumns), tile.AsSpan(di * TileColumns, TileColumns));
                }
            }

            return;
        }

        ref var start = ref MemoryMarshal.GetArrayDataReference(block);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (var r = 0; r < rows; r++)
        {
            var offset = (nuint)(r * Stride);
            var x = Vector256.LoadUnsafe(ref start, offset + (nuint)j0);
            var y = Vector256.LoadUnsafe(ref start, offset + (nuint)j0 + (nuint)Vector256<float>.Count);
            var s0 = Vector256.Create(Unsafe.Add(ref start, offset + (nuint)i0));
            var s1 = Vector256.Create(Unsafe.Add(ref start, offset + (nuint)i0 + 1));
            var s2 = Vector256.Create(Unsafe.Add(ref start, offset + (nuint)i0 + 2));
            var s3 = Vector256.Create(Unsafe.Add(ref start, offset + (nuint)i0 + 3));
            a0 = Vector256.FusedMultiplyAdd(s0, x, a0);
            a1 = Vector256.FusedMultiplyAdd(s1, x, a1);
            a2 = Vector256.FusedMultiplyAdd(s2, x, a2);
            a3 = Vector256.FusedMultiplyAdd(s3, x, a3);
            c0 = Vector256.FusedMultiplyAdd(s0, y, c0);
            c1 = Vector256.FusedMultiplyAdd(s1, y, c1);
            c2 = Vector256.FusedMultiplyAdd(s2, y, c2);
            c3 = Vector256.FusedMultiplyAdd(s3, y, c3);
        }

        var half = Vector256<float>.Count;
        a0.CopyTo(tile, 0);
        c0.CopyTo(tile, half);
        a1.CopyTo(tile, TileColumns);
        c1.CopyTo(tile, TileColumns + half);
        a2.CopyTo(tile, 2 * TileColumns);
        c2.CopyTo(tile, (2 * TileColumns) + half);
        a3.CopyTo(tile, 3 * TileColumns);
        c3.CopyTo(tile, (3 * TileColumns) + half);
    }

    /// <summary>
    /// Solves for the weights ((classes) x (512 + 1), float) from the given groups. Each class weighs the same in
    /// total, whatever its sample count; a class with no group gets zero weights and a very negative bias.
    /// </summary>
    public float[] Solve(IReadOnlyList<Group> groups)
    {
        var a = new double[Inputs * Inputs];
        var b = new double[Inputs * _classes];
        var perClass = groups.GroupBy(g => g.ClassIndex).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));
        foreach (var group in groups)
        {
            if (group.Count == 0)
            {
                continue;
            }

            var weight = 1.0 / perClass[group.ClassIndex];
            for (var i = 0; i < Inputs; i++)
            {
                var upper = a.AsSpan((i * Inputs) + i, Inputs - i);
                TensorPrimitives.MultiplyAdd(group.Gram.AsSpan((i * Inputs) + i, Inputs - i), weight, upper, upper);
                b[(i * _classes) + group.ClassIndex] += weight * group.Sum[i];
            }
        }

        var total = perClass.Count(p => p.Value > 0);
        for (var i = 0; i < Inputs; i++)
        {
            for (var j = 0; j < i; j++)
            {
                a[(i * Inputs) + j] = a[(j * Inputs) + i];
            }

            a[(i * Inputs) + i] += _lambda * Math.Max(1, total) / 8.0;
        }

        Cholesky(a);
        var transposed = Transposed(a);
        var weights = new float[_classes * Inputs];
        var column = new double[Inputs];
        for (var k = 0; k < _classes; k++)
        {
            if (!perClass.TryGetValue(k, out var n) || n == 0)
            {
                weights[(k * Inputs) + Channels] = -1e6f;
                continue;
            }

            for (var i = 0; i < Inputs; i++)
            {
                column[i] = b[(i * _classes) + k];
            }

            SolveCholesky(a, transposed, column);
            for (var i = 0; i < Inputs; i++)
            {
                weights[(k * Inputs) + i] = (float)column[i];
            }
        }

        return weights;
    }

    /// <summary>Factors the symmetric positive definite matrix into L L^T, L in its lower triangle, row by row.</summary>
    private static void Cholesky(double[] a)
    {
        for (var j = 0; j < Inputs; j++)
        {
            var rowJ = a.AsSpan(j * Inputs, j);
            var diagonal = Math.Sqrt(Math.Max(a[(j * Inputs) + j] - TensorPrimitives.Dot(rowJ, rowJ), 1e-12));
            a[(j * Inputs) + j] = diagonal;
            for (var i = j + 1; i < Inputs; i++)
            {
                a[(i * Inputs) + j] = (a[(i * Inputs) + j] - TensorPrimitives.Dot(a.AsSpan(i * Inputs, j), rowJ)) / diagonal;
            }
        }
    }

    /// <summary>L^T, so that back substitution reads rows too.</summary>
    private static double[] Transposed(double[] l)
    {
        var t = new double[Inputs * Inputs];
        for (var i = 0; i < Inputs; i++)
        {
            for (var k = 0; k <= i; k++)
            {
                t[(k * Inputs) + i] = l[(i * Inputs) + k];
            }
        }

        return t;
    }

    /// <summary>Solves L L^T x = b in place, given L and L^T.</summary>
    private static void SolveCholesky(double[] l, double[] transposed, double[] b)
    {
        for (var i = 0; i < Inputs; i++)
        {
            b[i] = (b[i] - TensorPrimitives.Dot(l.AsSpan(i * Inputs, i), b.AsSpan(0, i))) / l[(i * Inputs) + i];
        }

        for (var i = Inputs - 1; i >= 0; i--)
        {
            var rest = Inputs - i - 1;
            b[i] = (b[i] - TensorPrimitives.Dot(transposed.AsSpan((i * Inputs) + i + 1, rest), b.AsSpan(i + 1, rest))) / transposed[(i * Inputs) + i];
        }
    }
}
