namespace CustomLabels.Core.Models.Embedded;

/// <summary>A window over the 7 x 7 feature map, in cells: left, top and side.</summary>
internal readonly record struct GridWindow(int X, int Y, int Size)
{
    /// <summary>The window in the 224 x 224 input's pixels.</summary>
    public (float Left, float Top, float Right, float Bottom) Pixels
    {
        get
        {
            const float cell = ResNet18Backbone.InputSize / (float)ResNet18Backbone.GridSize;
            return (X * cell, Y * cell, (X + Size) * cell, (Y + Size) * cell);
        }
    }
}

/// <summary>
/// Tile embeddings from one backbone pass: the mean of the feature map over a square window of cells is the embedding
/// the network would give that tile (global pooling is that mean over all 49 cells), up to the context the cells saw.
/// Embeddings are L2-normalised.
/// </summary>
internal static class RegionPooling
{
    /// <summary>Every window of the given sides, row by row.</summary>
    public static GridWindow[] Windows(IReadOnlyList<int> sides)
    {
        const int grid = ResNet18Backbone.GridSize;
        var windows = new List<GridWindow>();
        foreach (var side in sides)
        {
            for (var y = 0; y + side <= grid; y++)
            {
                for (var x = 0; x + side <= grid; x++)
                {
                    windows.Add(new GridWindow(x, y, side));
                }
            }
        }

        return [.. windows];
    }

    /// <summary>
    /// Pools <paramref name="featureMap"/> (512 x 7 x 7, channel-major) over each window into
    /// <paramref name="destination"/> (windows x 512), L2-normalised.
    /// </summary>
    public static void Pool(ReadOnlySpan<float> featureMap, ReadOnlySpan<GridWindow> windows, Span<float> destination)
    {
        const int grid = ResNet18Backbone.GridSize;
        const int channels = ResNet18Backbone.Channels;
        const int cells = grid * grid;
        const int integralSide = grid + 1;

        // A summed-area table per channel makes every window an O(1) lookup.
        Span<float> integral = stackalloc float[integralSide * integralSide];
        for (var c = 0; c < channels; c++)
        {
            var map = featureMap.Slice(c * cells, cells);
            integral.Clear();
            for (var y = 0; y < grid; y++)
            {
                float row = 0;
                for (var x = 0; x < grid; x++)
                {
                    row += map[(y * grid) + x];
                    integral[((y + 1) * integralSide) + x + 1] = integral[(y * integralSide) + x + 1] + row;
                }
            }

            for (var w = 0; w < windows.Length; w++)
            {
                var (x0, y0, side) = (windows[w].X, windows[w].Y, windows[w].Size);
                var (x1, y1) = (x0 + side, y0 + side);
                var sum = integral[(y1 * integralSide) + x1] - integral[(y0 * integralSide) + x1]
                    - integral[(y1 * integralSide) + x0] + integral[(y0 * integralSide) + x0];
                destination[(w * channels) + c] = sum / (side * side);
            }
        }

        for (var w = 0; w < windows.Length; w++)
        {
            Normalize(destination.Slice(w * channels, channels));
        }
    }

    /// <summary>Scales a vector to unit length (leaves a zero vector as it is).</summary>
    public static void Normalize(Span<float> vector)
    {
        var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(vector));
        if (norm > 1e-12f)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
        }
    }
}

/// <summary>
/// A region's features: the backbone's pooled embedding (512) followed by a coarse colour histogram (16): hue in 12
/// bins for coloured pixels, and dark, mid and light bins for grey ones. Deep features are nearly blind to hue, yet two
/// round badges of different colours are different logos.
/// </summary>
internal static class RegionFeatures
{
    public const int Cnn = ResNet18Backbone.Channels;
    public const int Colour = 16;
    public const int Dimension = Cnn + Colour;

    private const int HueBins = 12;
    private const int Grid = ResNet18Backbone.GridSize;
    private const int Side = ResNet18Backbone.InputSize;

    // The colour bin of every 24-bit colour, made once on first use (16 MB): detection bins five views of 50,176 pixels.
    private static readonly Lazy<byte[]> Bins = new(MakeBins, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Per cell of the 7 x 7 grid, the share of its pixels in each colour bin (rows of 16).</summary>
    public static float[] ColourCells(float[] tensor)
    {
        const int plane = Side * Side;
        const float cell = Side / (float)Grid;
        var bins = Bins.Value;
        var cells = new float[Grid * Grid * Colour];
        var counts = new int[Grid * Grid];
        var means = ResNet18Backbone.ChannelMeans;
        var columnCell = new int[Side];
        for (var x = 0; x < Side; x++)
        {
            columnCell[x] = Math.Min(Grid - 1, (int)(x / cell));
        }

        for (var y = 0; y < Side; y++)
        {
            var rowCell = Math.Min(Grid - 1, (int)(y / cell)) * Grid;
            for (var x = 0; x < Side; x++)
            {
                var i = (y * Side) + x;
                var b = ToByte(tensor[i] + means[0]);
                var g = ToByte(tensor[plane + i] + means[1]);
                var r = ToByte(tensor[(2 * plane) + i] + means[2]);
                var c = rowCell + columnCell[x];
                cells[(c * Colour) + bins[(r << 16) | (g << 8) | b]]++;
                counts[c]++;
            }
        }

        for (var c = 0; c < counts.Length; c++)
        {
            for (var k = 0; k < Colour; k++)
            {
                cells[(c * Colour) + k] /= Math.Max(1, counts[c]);
            }
        }

        return cells;
    }

    /// <summary>
    /// The colour bin of a pixel (0..255 per channel): hue in 12 bins for coloured pixels, and dark, mid and light bins
    /// for grey ones.
    /// </summary>
    internal static int Bin(int red, int green, int blue)
    {
        var (r, g, b) = (red / 255f, green / 255f, blue / 255f);
        var max = MathF.Max(r, MathF.Max(g, b));
        var min = MathF.Min(r, MathF.Min(g, b));
        var chroma = max - min;
        if (chroma < 0.12f || max < 0.15f)
        {
            return HueBins + (max < 0.35f ? 0 : max < 0.75f ? 1 : 2);
        }

        float hue;
        if (max == r)
        {
            hue = (g - b) / chroma;
        }
        else if (max == g)
        {
            hue = ((b - r) / chroma) + 2;
        }
        else
        {
            hue = ((r - g) / chroma) + 4;
        }

        return (int)((hue + 6) % 6 / 6 * HueBins) % HueBins;
    }

    private static int ToByte(float value) => (int)Math.Clamp(MathF.Round(value), 0, 255);

    private static byte[] MakeBins()
    {
        var bins = new byte[1 << 24];
        Parallel.For(0, 256, r =>
        {
            for (var g = 0; g < 256; g++)
            {
                for (var b = 0; b < 256; b++)
                {
                    bins[(r << 16) | (g << 8) | b] = (byte)Bin(r, g, b);
                }
            }
        });
        return bins;
    }

    /// <summary>
    /// Writes each window's features into <paramref name="destination"/> (windows x <see cref="Dimension"/>): the
    /// L2-normalised pooled embedding, then the square root of the window's colour histogram, L2-normalised.
    /// </summary>
    public static void Pool(ReadOnlySpan<float> featureMap, float[] colourCells, ReadOnlySpan<GridWindow> windows, Span<float> destination)
    {
        var cnn = new float[windows.Length * Cnn];
        RegionPooling.Pool(featureMap, windows, cnn);
        for (var w = 0; w < windows.Length; w++)
        {
            var row = destination.Slice(w * Dimension, Dimension);
            cnn.AsSpan(w * Cnn, Cnn).CopyTo(row);
            var colour = row[Cnn..];
            colour.Clear();
            var window = windows[w];
            for (var y = window.Y; y < window.Y + window.Size; y++)
            {
                for (var x = window.X; x < window.X + window.Size; x++)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(colour, colourCells.AsSpan(((y * Grid) + x) * Colour, Colour), colour);
                }
            }

            System.Numerics.Tensors.TensorPrimitives.Sqrt(colour, colour);
            RegionPooling.Normalize(colour);
        }
    }
}
