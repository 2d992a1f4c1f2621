using SkiaSharp;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// Decodes images for the backbone and turns regions of them into its input tensors. Every image is checked from
/// its header first (<see cref="ImageInspector"/>), decoded at most <see cref="MaxDecodedSide"/> pixels on its longer
/// side, and composited onto white, so that transparent PNGs do not turn black.
/// </summary>
internal static class ImagePixels
{
    /// <summary>The longest side an image is decoded to; views never need more.</summary>
    public const int MaxDecodedSide = 1024;

    /// <summary>
    /// How an image's views are resampled for the backbone: bilinear from the nearest mip level. Skia's trilinear mode
    /// (linear between two levels) gives pixels that differ from it by 0.14 of 255 on average (on the sample and
    /// logos-dev training images, whole and cropped views) yet costs about eight times as much, and a detection draws
    /// five views. Training's composites (<see cref="Augmenter"/>) keep their own sampling: they are not on the
    /// detection path.
    /// </summary>
    internal static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Nearest);

    /// <summary>Decodes an encoded image onto an opaque white canvas.</summary>
    /// <exception cref="InvalidImageException">Not a readable image, or corrupt or truncated data.</exception>
    /// <exception cref="ImageTooLargeException">Over the byte or pixel limits.</exception>
    public static SKImage Decode(ReadOnlySpan<byte> encoded)
    {
        var header = ImageInspector.Inspect(encoded);
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidImageException("The file is not an image in a supported format (JPEG, PNG, WebP, BMP or GIF).");
        var scale = Math.Min(1f, MaxDecodedSide / (float)Math.Max(header.Width, header.Height));
        var size = scale < 1f ? codec.GetScaledDimensions(scale) : new SKSizeI(header.Width, header.Height);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result is not (SKCodecResult.Success))
        {
            throw new InvalidImageException(result == SKCodecResult.IncompleteInput
                ? "The image is truncated: its pixel data ends early."
                : $"The image data is corrupt ({result}).");
        }

        var target = Fit(size.Width, size.Height, MaxDecodedSide);
        if (codec.Info.AlphaType == SKAlphaType.Opaque && target == size)
        {
            // Nothing to composite and nothing to resize (a JPEG, say): the decoded pixels are the image.
            decoded.SetImmutable();
            return SKImage.FromBitmap(decoded);
        }

        using var surface = SKSurface.Create(new SKImageInfo(target.Width, target.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.White);
        using var image = SKImage.FromBitmap(decoded);
        surface.Canvas.DrawImage(image, new SKRect(0, 0, target.Width, target.Height), Sampling);
        return surface.Snapshot();
    }

    /// <summary>
    /// Draws <paramref name="source"/>'s region <paramref name="region"/> stretched onto the 224 x 224 input and
    /// writes the backbone tensor (BGR, 0..255 minus the channel means, channel-major) into <paramref name="tensor"/>.
    /// </summary>
    public static void FillTensor(SKImage source, SKRect region, float[] tensor)
    {
        const int side = ResNet18Backbone.InputSize;
        using var bitmap = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawImage(source, region, new SKRect(0, 0, side, side), Sampling);
        }

        FillTensor(bitmap, tensor);
    }

    /// <summary>Writes the backbone tensor of a 224 x 224 RGBA bitmap into <paramref name="tensor"/>.</summary>
    public static void FillTensor(SKBitmap bitmap, float[] tensor)
    {
        const int plane = ResNet18Backbone.InputSize * ResNet18Backbone.InputSize;
        var pixels = bitmap.GetPixelSpan();
        var means = ResNet18Backbone.ChannelMeans;
        for (var i = 0; i < plane; i++)
        {
            var p = i * 4;
            tensor[i] = pixels[p + 2] - means[0];
            tensor[plane + i] = pixels[p + 1] - means[1];
            tensor[(2 * plane) + i] = pixels[p] - means[2];
        }
    }

    private static SKSizeI Fit(int width, int height, int maxSide)
    {
        if (Math.Max(width, height) <= maxSide)
        {
            return new SKSizeI(width, height);
        }

        var scale = maxSide / (double)Math.Max(width, height);
        return new SKSizeI(Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }
}
