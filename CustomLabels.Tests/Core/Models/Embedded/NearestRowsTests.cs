using System.Numerics.Tensors;
using CustomLabels.Core.Models.Embedded;

namespace CustomLabels.Tests.Core.Models.Embedded;

/// <summary>The batched nearest-reference search gives, for every query, the best dot product a row-by-row search gives.</summary>
public sealed class NearestRowsTests
{
    private const int Dimension = RegionFeatures.Dimension;

    private static float[] UnitRows(Random random, int count)
    {
        var rows = new float[count * Dimension];
        for (var r = 0; r < count; r++)
        {
            var row = rows.AsSpan(r * Dimension, Dimension);
            for (var k = 0; k < Dimension; k++)
            {
                row[k] = (float)(random.NextDouble() * 2 - 1);
            }

            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        return rows;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(4, 2)]
    [InlineData(7, 9)]
    [InlineData(16, 33)]
    public void EachQueryGetsItsLargestDotProductWithAnyReference(int queries, int references)
    {
        var random = new Random(queries * 100 + references);
        var referenceRows = UnitRows(random, references);
        var queryRows = UnitRows(random, queries);
        var best = new float[queries + 2];
        best[^1] = best[^2] = 42;

        NearestRows.Find(referenceRows, queryRows, best);

        for (var q = 0; q < queries; q++)
        {
            var expected = Enumerable.Range(0, references)
                .Max(r => TensorPrimitives.Dot(referenceRows.AsSpan(r * Dimension, Dimension), queryRows.AsSpan(q * Dimension, Dimension)));
            Assert.Equal(expected, best[q], 4);
        }

        // Nothing is written past the queries.
        Assert.Equal(42, best[^1]);
        Assert.Equal(42, best[^2]);
    }

    [Fact]
    public void WithoutReferencesEveryQueryGetsMinusOne()
    {
        var best = new float[3];

        NearestRows.Find([], UnitRows(new Random(1), 3), best);

        Assert.All(best, b => Assert.Equal(-1, b));
    }
}
