using CustomLabels.Core.Models.Embedded;

namespace CustomLabels.Tests.Core.Models.Embedded;

/// <summary>
/// The head's classifier statistics and solve: X^T X summed block by block in registers equals the plain sum, and the
/// weights solve the regularised normal equations that the groups describe.
/// </summary>
public sealed class RidgeFitterTests
{
    private const int Dimension = RegionFeatures.Dimension;
    private const int Inputs = Dimension + 1;

    [Fact]
    public void TheGramMatrixOfOneRoleEqualsThePlainSumOverItsRows()
    {
        // More rows than one block, over several images, with rows of another role mixed in that must not count.
        var samples = new[] { Samples(seed: 1, rows: 300), Samples(seed: 2, rows: 150), Samples(seed: 3, rows: 77) };

        var group = RidgeFitter.Accumulate(classIndex: 2, samples, SampleRole.Subject);

        var rows = samples.SelectMany(s => Enumerable.Range(0, s.Count).Where(i => s.Roles[i] == SampleRole.Subject).Select(i => WithBias(s.Row(i)))).ToList();
        Assert.Equal(rows.Count, group.Count);
        Assert.True(rows.Count < samples.Sum(s => s.Count));
        Assert.Equal(2, group.ClassIndex);
        var worst = 0.0;
        for (var i = 0; i < Inputs; i++)
        {
            Assert.Equal(rows.Sum(r => r[i]), group.Sum[i], 3);
            for (var j = i; j < Inputs; j++)
            {
                var expected = rows.Sum(r => r[i] * r[j]);
                worst = Math.Max(worst, Math.Abs(expected - group.Gram[(i * Inputs) + j]));
            }
        }

        Assert.True(worst < 1e-3, $"largest difference from the plain sum: {worst}");
    }

    [Fact]
    public void TheWeightsSolveTheRegularisedNormalEquations()
    {
        const double lambda = 1.0;
        var groups = new[]
        {
            RidgeFitter.Accumulate(0, [Samples(seed: 4, rows: 200)], SampleRole.Subject),
            RidgeFitter.Accumulate(1, [Samples(seed: 5, rows: 180)], SampleRole.Subject),
            RidgeFitter.Accumulate(1, [Samples(seed: 6, rows: 90)], SampleRole.Subject),
            RidgeFitter.Accumulate(3, [Samples(seed: 7, rows: 260)], SampleRole.Background),
        };

        var weights = new RidgeFitter(classes: 4, lambda).Solve(groups);

        // The system Solve describes: each class weighs the same in total, plus the ridge term.
        var perClass = groups.GroupBy(g => g.ClassIndex).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));
        var a = new double[Inputs, Inputs];
        foreach (var group in groups)
        {
            var weight = 1.0 / perClass[group.ClassIndex];
            for (var i = 0; i < Inputs; i++)
            {
                for (var j = i; j < Inputs; j++)
                {
                    a[i, j] += weight * group.Gram[(i * Inputs) + j];
                    a[j, i] = a[i, j];
                }
            }
        }

        for (var i = 0; i < Inputs; i++)
        {
            a[i, i] += lambda * perClass.Count / 8.0;
        }

        foreach (var k in perClass.Keys)
        {
            var residual = 0.0;
            var scale = 0.0;
            for (var i = 0; i < Inputs; i++)
            {
                var b = groups.Where(g => g.ClassIndex == k).Sum(g => g.Sum[i] / perClass[k]);
                var ax = Enumerable.Range(0, Inputs).Sum(j => a[i, j] * weights[(k * Inputs) + j]);
                residual = Math.Max(residual, Math.Abs(ax - b));
                scale = Math.Max(scale, Math.Abs(b));
            }

            Assert.True(residual < 1e-4 * scale, $"class {k}: residual {residual} against {scale}");
        }

        // A class with no samples is never chosen.
        Assert.All(Enumerable.Range(0, Dimension), i => Assert.Equal(0f, weights[(2 * Inputs) + i]));
        Assert.Equal(-1e6f, weights[(2 * Inputs) + Dimension]);
    }

    /// <summary>Unit-length random rows, most of them subject samples and every fifth a background one.</summary>
    private static ImageSamples Samples(int seed, int rows)
    {
        var random = new Random(seed);
        var embeddings = new float[rows * Dimension];
        var roles = new SampleRole[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = embeddings.AsSpan(r * Dimension, Dimension);
            for (var c = 0; c < Dimension; c++)
            {
                row[c] = (float)((random.NextDouble() * 2) - 1 + (c % 7 == seed % 7 ? 0.5 : 0));
            }

            RegionPooling.Normalize(row);
            roles[r] = r % 5 == 4 ? SampleRole.Background : SampleRole.Subject;
        }

        return new ImageSamples(roles, new byte[rows], embeddings);
    }

    private static double[] WithBias(ReadOnlySpan<float> row)
    {
        var x = new double[Inputs];
        for (var c = 0; c < Dimension; c++)
        {
            x[c] = row[c];
        }

        x[Dimension] = 1;
        return x;
    }
}
