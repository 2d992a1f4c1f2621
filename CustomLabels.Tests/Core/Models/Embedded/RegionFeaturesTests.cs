using CustomLabels.Core.Models.Embedded;
using SkiaSharp;

namespace CustomLabels.Tests.Core.Models.Embedded;

/// <summary>The colour histogram of region features bins every pixel by hue, or by lightness when it is grey.</summary>
public sealed class RegionFeaturesTests
{
    private const int Side = ResNet18Backbone.InputSize;
    private const int Grid = ResNet18Backbone.GridSize;

    [Theory]
    [InlineData(255, 0, 0, 0)]
    [InlineData(255, 128, 0, 1)]
    [InlineData(0, 255, 0, 4)]
    [InlineData(0, 255, 255, 6)]
    [InlineData(0, 0, 255, 8)]
    [InlineData(255, 0, 200, 10)]
    [InlineData(20, 20, 20, 12)]
    [InlineData(128, 128, 128, 13)]
    [InlineData(250, 250, 250, 14)]
    [InlineData(200, 190, 185, 14)]
    public void APixelFallsInTheBinOfItsHueOrOfItsLightness(byte red, byte green, byte blue, int bin)
    {
        Assert.Equal(bin, RegionFeatures.Bin(red, green, blue));

        var cells = RegionFeatures.ColourCells(TensorOf(new SKColor(red, green, blue), new SKColor(red, green, blue)));
        for (var c = 0; c < Grid * Grid; c++)
        {
            Assert.Equal(1f, cells[(c * RegionFeatures.Colour) + bin], 5);
        }
    }

    [Fact]
    public void EachCellCountsOnlyThePixelsItCovers()
    {
        // Left half red, right half white: the leftmost column of cells is all red, the rightmost all light.
        var cells = RegionFeatures.ColourCells(TensorOf(SKColors.Red, SKColors.White));
        for (var y = 0; y < Grid; y++)
        {
            Assert.Equal(1f, cells[(((y * Grid) + 0) * RegionFeatures.Colour) + 0], 5);
            Assert.Equal(1f, cells[(((y * Grid) + Grid - 1) * RegionFeatures.Colour) + 14], 5);
            var middle = cells.AsSpan(((y * Grid) + (Grid / 2)) * RegionFeatures.Colour, RegionFeatures.Colour);
            Assert.Equal(1f, middle.ToArray().Sum(), 5);
            Assert.True(middle[0] is > 0.3f and < 0.7f, $"the middle cell is split between red and white: {middle[0]}");
        }
    }

    private static float[] TensorOf(SKColor left, SKColor right)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            using var paint = new SKPaint { Color = left };
            canvas.DrawRect(0, 0, Side / 2, Side, paint);
            paint.Color = right;
            canvas.DrawRect(Side / 2, 0, Side / 2, Side, paint);
        }

        var tensor = new float[ResNet18Backbone.InputLength];
        ImagePixels.FillTensor(bitmap, tensor);
        return tensor;
    }
}
