using SkiaSharp;

namespace CustomLabels.Core.Models;

/// <summary>What an image's header says.</summary>
/// <param name="Format">The encoded format, e.g. "Jpeg", "Png".</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record ImageInfo(string Format, int Width, int Height);

/// <summary>
/// Checks an encoded image from its header alone, before any pixel is decoded: that it is a format the model reads,
/// that it is not empty, and that neither its bytes nor its declared pixel count exceed the limits (so a
/// decompression bomb is refused before it is inflated).
/// </summary>
public static class ImageInspector
{
    /// <summary>The largest encoded image accepted, in bytes (15 MB, as Rekognition's image bytes limit).</summary>
    public const long MaxEncodedBytes = 15L * 1024 * 1024;

    /// <summary>The most pixels an image may declare (40 megapixels).</summary>
    public const long MaxPixels = 40_000_000;

    /// <summary>The formats the model reads.</summary>
    public static IReadOnlySet<SKEncodedImageFormat> SupportedFormats { get; } = new HashSet<SKEncodedImageFormat>
    {
        SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Png, SKEncodedImageFormat.Webp,
        SKEncodedImageFormat.Bmp, SKEncodedImageFormat.Gif,
    };

    /// <summary>Checks an encoded image's length, before it is read.</summary>
    /// <exception cref="ImageTooLargeException">Over <see cref="MaxEncodedBytes"/>.</exception>
    public static void CheckEncodedLength(long length)
    {
        if (length > MaxEncodedBytes)
        {
            throw new ImageTooLargeException($"The image is {length:N0} bytes; the most accepted is {MaxEncodedBytes:N0}.");
        }
    }

    /// <summary>Reads an image's header and checks it against the limits.</summary>
    /// <exception cref="InvalidImageException">Empty, not an image, an unsupported format, or a header that cannot be read.</exception>
    /// <exception cref="ImageTooLargeException">Over <see cref="MaxEncodedBytes"/> or <see cref="MaxPixels"/>.</exception>
    public static ImageInfo Inspect(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty)
        {
            throw new InvalidImageException("The image is empty.");
        }

        CheckEncodedLength(encoded.Length);

        using var data = SKData.CreateCopy(encoded);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            throw new InvalidImageException(result == SKCodecResult.IncompleteInput
                ? "The image is truncated: its header is incomplete."
                : "The file is not an image in a supported format (JPEG, PNG, WebP, BMP or GIF).");
        }

        if (!SupportedFormats.Contains(codec.EncodedFormat))
        {
            throw new InvalidImageException($"Images in {codec.EncodedFormat} format are not supported; send JPEG, PNG, WebP, BMP or GIF.");
        }

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
        {
            throw new InvalidImageException("The image declares no pixels.");
        }

        if ((long)width * height > MaxPixels)
        {
            throw new ImageTooLargeException(
                $"The image declares {width:N0} x {height:N0} pixels; the most accepted is {MaxPixels:N0} pixels in all.");
        }

        return new ImageInfo(codec.EncodedFormat.ToString(), width, height);
    }
}
