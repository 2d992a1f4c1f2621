using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// The largest dot product of each of a few query rows with any of many reference rows (rows of
/// <see cref="RegionFeatures.Dimension"/>). The head asks this for every candidate region of every label against that
/// label's references and the negative ones; row by row, each query streamed the whole reference matrix through memory.
/// Here four queries share each pass over two reference rows, so a reference row is read once per four queries and the
/// work is arithmetic, not memory traffic.
/// </summary>
internal static class NearestRows
{
    private const int Dimension = RegionFeatures.Dimension;
    private const int QueryBlock = 4;

    /// <summary>
    /// Writes into <paramref name="best"/>, for each row of <paramref name="queries"/>, its largest dot product with a
    /// row of <paramref name="references"/> (-1 when there are none, below any similarity of unit rows).
    /// </summary>
    public static void Find(ReadOnlySpan<float> references, ReadOnlySpan<float> queries, Span<float> best)
    {
        var queryCount = queries.Length / Dimension;
        var referenceCount = references.Length / Dimension;
        best[..queryCount].Fill(-1);
        if (referenceCount == 0 || queryCount == 0)
        {
            return;
        }

        if (!Vector256.IsHardwareAccelerated || Dimension % Vector256<float>.Count != 0)
        {
            for (var q = 0; q < queryCount; q++)
            {
                var query = queries.Slice(q * Dimension, Dimension);
                for (var r = 0; r < referenceCount; r++)
                {
                    best[q] = Math.Max(best[q], TensorPrimitives.Dot(references.Slice(r * Dimension, Dimension), query));
                }
            }

            return;
        }

        ref var queryStart = ref MemoryMarshal.GetReference(queries);
        ref var referenceStart = ref MemoryMarshal.GetReference(references);
        for (var q0 = 0; q0 < queryCount; q0 += QueryBlock)
        {
            // A short last block repeats its last query; the repeated result is written to the same place.
            var o0 = (nuint)(q0 * Dimension);
            var o1 = (nuint)(Math.Min(q0 + 1, queryCount - 1) * Dimension);
            var o2 = (nuint)(Math.Min(q0 + 2, queryCount - 1) * Dimension);
            var o3 = (nuint)(Math.Min(q0 + 3, queryCount - 1) * Dimension);
            float b0 = -1, b1 = -1, b2 = -1, b3 = -1;
            for (var r = 0; r < referenceCount; r += 2)
            {
                var ra = (nuint)(r * Dimension);
                var rb = (nuint)(Math.Min(r + 1, referenceCount - 1) * Dimension);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
                for (nuint k = 0; k < Dimension; k += (nuint)Vector256<float>.Count)
                {
                    var x = Vector256.LoadUnsafe(ref referenceStart, ra + k);
                    var y = Vector256.LoadUnsafe(ref referenceStart, rb + k);
                    var v0 = Vector256.LoadUnsafe(ref queryStart, o0 + k);
                    var v1 = Vector256.LoadUnsafe(ref queryStart, o1 + k);
                    var v2 = Vector256.LoadUnsafe(ref queryStart, o2 + k);
                    var v3 = Vector256.LoadUnsafe(ref queryStart, o3 + k);
                    a0 = Vector256.FusedMultiplyAdd(x, v0, a0);
                    a1 = Vector256.FusedMultiplyAdd(x, v1, a1);
                    a2 = Vector256.FusedMultiplyAdd(x, v2, a2);
                    a3 = Vector256.FusedMultiplyAdd(x, v3, a3);
                    c0 = Vector256.FusedMultiplyAdd(y, v0, c0);
                    c1 = Vector256.FusedMultiplyAdd(y, v1, c1);
                    c2 = Vector256.FusedMultiplyAdd(y, v2, c2);
                    c3 = Vector256.FusedMultiplyAdd(y, v3, c3);
                }

                b0 = Math.Max(b0, Math.Max(Vector256.Sum(a0), Vector256.Sum(c0)));
                b1 = Math.Max(b1, Math.Max(Vector256.Sum(a1), Vector256.Sum(c1)));
                b2 = Math.Max(b2, Math.Max(Vector256.Sum(a2), Vector256.Sum(c2)));
                b3 = Math.Max(b3, Math.Max(Vector256.Sum(a3), Vector256.Sum(c3)));
            }

            best[q0] = b0;
            if (q0 + 1 < queryCount)
            {
                best[q0 + 1] = b1;
            }

            if (q0 + 2 < queryCount)
            {
                best[q0 + 2] = b2;
            }

            if (q0 + 3 < queryCount)
            {
                best[q0 + 3] = b3;
            }
        }
    }
}
