using SkiaSharp;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>A training image ready for compositing: the image, its cut-out (background made transparent) and where the subject lies.</summary>
internal sealed class TrainingShot(SKImage image, SKImage cutOut, SKRect subject) : IDisposable
{
    public SKImage Image { get; } = image;

    public SKImage CutOut { get; } = cutOut;

    /// <summary>The subject's bounds in the image's pixels.</summary>
    public SKRect Subject { get; } = subject;

    public void Dispose()
    {
        Image.Dispose();
        CutOut.Dispose();
    }
}

/// <summary>
/// Makes realistic variants of clean training shots: the subject is cut from its plain background and composited,
/// at varied scale, rotation, lighting and blur, onto procedurally made backgrounds (value noise, gradients, shapes,
/// scribbles like text), so that the reference spread of each label looks like photos, not like clean shots.
/// Background-only canvases from the same generator are the negatives. Everything is seeded, hence reproducible.
/// </summary>
internal static class Augmenter
{
    private const int Side = ResNet18Backbone.InputSize;
    private const int CutOutMaxSide = 320;
    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>Cuts the subject out of a shot on a plain, graded or lightly textured background.</summary>
    public static TrainingShot Prepare(SKImage decoded)
    {
        var scale = Math.Min(1f, CutOutMaxSide / (float)Math.Max(decoded.Width, decoded.Height));
        var (w, h) = (Math.Max(1, (int)(decoded.Width * scale)), Math.Max(1, (int)(decoded.Height * scale)));
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.DrawImage(decoded, new SKRect(0, 0, w, h), Sampling);
        }

        var pixels = bitmap.GetPixelSpan();
        var border = Math.Max(1, Math.Min(w, h) / 64);
        var left = BorderProfile(pixels, w, h, border, vertical: true, fromStart: true);
        var right = BorderProfile(pixels, w, h, border, vertical: true, fromStart: false);
        var top = BorderProfile(pixels, w, h, border, vertical: false, fromStart: true);
        var bottom = BorderProfile(pixels, w, h, border, vertical: false, fromStart: false);

        using var cut = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        var output = cut.GetPixelSpan();
        int minX = w, minY = h, maxX = -1, maxY = -1;
        for (var y = 0; y < h; y++)
        {
            var fy = h > 1 ? y / (float)(h - 1) : 0f;
            for (var x = 0; x < w; x++)
            {
                var fx = w > 1 ? x / (float)(w - 1) : 0f;
                var p = ((y * w) + x) * 4;
                var difference = 0f;
                for (var c = 0; c < 3; c++)
                {
                    var horizontal = (left[(y * 3) + c] * (1 - fx)) + (right[(y * 3) + c] * fx);
                    var vertical = (top[(x * 3) + c] * (1 - fy)) + (bottom[(x * 3) + c] * fy);
                    difference = Math.Max(difference, Math.Abs(pixels[p + c] - ((horizontal + vertical) / 2)));
                }

                var alpha = Math.Clamp((difference - 18f) / 24f, 0f, 1f);
                for (var c = 0; c < 3; c++)
                {
                    output[p + c] = (byte)(pixels[p + c] * alpha);
                }

                output[p + 3] = (byte)(255 * alpha);
                if (alpha > 0.5f)
                {
                    (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
                }
            }
        }

        var subject = maxX - minX < w / 16 || maxY - minY < h / 16
            ? new SKRect(0, 0, w, h)
            : new SKRect(minX, minY, maxX + 1, maxY + 1);
        return new TrainingShot(SKImage.FromBitmap(bitmap), SKImage.FromBitmap(cut), subject);
    }

    /// <summary>
    /// How busy an image's border is: the median, over the four edges cut in eight runs each, of the mean absolute
    /// difference between neighbouring pixels two pixels in from the edge (0..255). A clean shot on a plain, graded or
    /// paper background scores a few levels; a photo scores far more.
    /// </summary>
    public static float BorderRoughness(SKImage image)
    {
        const int side = 256;
        var scale = Math.Min(1f, side / (float)Math.Max(image.Width, image.Height));
        var (w, h) = (Math.Max(8, (int)(image.Width * scale)), Math.Max(8, (int)(image.Height * scale)));
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.DrawImage(image, new SKRect(0, 0, w, h), Sampling);
        }

        var pixels = bitmap.GetPixelSpan().ToArray();
        var runs = new List<float>();
        void Edge(int length, Func<int, (int X, int Y)> at)
        {
            const int pieces = 8;
            for (var piece = 0; piece < pieces; piece++)
            {
                var (start, end) = (piece * length / pieces, ((piece + 1) * length / pieces) - 1);
                float sum = 0;
                var count = 0;
                for (var i = start; i < end; i++)
                {
                    var (x0, y0) = at(i);
                    var (x1, y1) = at(i + 1);
                    var (p, q) = (((y0 * w) + x0) * 4, ((y1 * w) + x1) * 4);
                    sum += (Math.Abs(pixels[p] - pixels[q]) + Math.Abs(pixels[p + 1] - pixels[q + 1]) + Math.Abs(pixels[p + 2] - pixels[q + 2])) / 3f;
                    count++;
                }

                runs.Add(count > 0 ? sum / count : 0);
            }
        }

        const int inset = 2;
        Edge(w, i => (i, inset));
        Edge(w, i => (i, h - 1 - inset));
        Edge(h, i => (inset, i));
        Edge(h, i => (w - 1 - inset, i));
        runs.Sort();
        return runs[runs.Count / 2];
    }

    /// <summary>A 224 x 224 procedural background.</summary>
    public static SKBitmap Background(Random random)
    {
        var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            DrawLayer(canvas, random, random.Next(4), 255);
            if (random.NextDouble() < 0.6)
            {
                DrawLayer(canvas, random, random.Next(4), (byte)random.Next(70, 200));
            }
        }

        if (random.NextDouble() < 0.5)
        {
            // Photos are mostly smooth with a few edges; a soft blur moves procedural layers towards that.
            Blur(bitmap, (float)(0.8 + (random.NextDouble() * 3)));
        }

        if (random.NextDouble() < 0.4)
        {
            AddNoise(bitmap, random, 2 + (random.NextDouble() * 6));
        }

        return bitmap;
    }

    /// <summary>
    /// Composites the shot's subject onto a procedural background at random scale, rotation and lighting. Returns
    /// the canvas and the subject's bounds on it.
    /// </summary>
    public static (SKBitmap Canvas, SKRect Subject) Composite(TrainingShot shot, Random random)
    {
        var canvasBitmap = Background(random);
        var useCutOut = random.NextDouble() < 0.75;
        var source = useCutOut ? shot.CutOut : shot.Image;
        var margin = useCutOut ? 0f : Math.Max(shot.Subject.Width, shot.Subject.Height) * 0.06f;
        var subject = SKRect.Intersect(SKRect.Inflate(shot.Subject, margin, margin), new SKRect(0, 0, shot.Image.Width, shot.Image.Height));

        var longer = Side * (float)(0.22 + (random.NextDouble() * 0.63));
        var scale = longer / Math.Max(subject.Width, subject.Height);
        var angle = (float)((random.NextDouble() * 30) - 15);
        var (halfW, halfH) = (subject.Width * scale / 2, subject.Height * scale / 2);
        var radians = angle * MathF.PI / 180;
        var (cos, sin) = (MathF.Abs(MathF.Cos(radians)), MathF.Abs(MathF.Sin(radians)));
        var (boundsHalfW, boundsHalfH) = ((halfW * cos) + (halfH * sin), (halfW * sin) + (halfH * cos));
        var slackX = Math.Max(0f, Side - (2 * boundsHalfW * 0.85f));
        var slackY = Math.Max(0f, Side - (2 * boundsHalfH * 0.85f));
        var centerX = (boundsHalfW * 0.85f) + (float)(random.NextDouble() * slackX);
        var centerY = (boundsHalfH * 0.85f) + (float)(random.NextDouble() * slackY);
        centerX = Math.Clamp(centerX, 0, Side);
        centerY = Math.Clamp(centerY, 0, Side);

        using (var canvas = new SKCanvas(canvasBitmap))
        using (var paint = new SKPaint { IsAntialias = true })
        {
            paint.ColorFilter = LightingFilter(random);
            if (random.NextDouble() < 0.5)
            {
                var sigma = (float)(0.3 + (random.NextDouble() * 0.9));
                paint.ImageFilter = SKImageFilter.CreateBlur(sigma, sigma);
            }

            canvas.Translate(centerX, centerY);
            canvas.RotateDegrees(angle);
            canvas.DrawImage(source, subject, new SKRect(-halfW, -halfH, halfW, halfH), Sampling, paint);
        }

        var bounds = new SKRect(centerX - boundsHalfW, centerY - boundsHalfH, centerX + boundsHalfW, centerY + boundsHalfH);
        if (random.NextDouble() < 0.25)
        {
            Occlude(canvasBitmap, bounds, random);
        }

        if (random.NextDouble() < 0.3)
        {
            AddNoise(canvasBitmap, random, 1.5 + (random.NextDouble() * 3.5));
        }

        if (random.NextDouble() < 0.5)
        {
            Recompress(canvasBitmap, random.Next(25, 71));
        }

        return (canvasBitmap, SKRect.Intersect(bounds, new SKRect(0, 0, Side, Side)));
    }

    private static SKColorFilter LightingFilter(Random random)
    {
        var brightness = (float)(0.7 + (random.NextDouble() * 0.5));
        var contrast = (float)(0.7 + (random.NextDouble() * 0.5));
        var saturation = (float)(0.75 + (random.NextDouble() * 0.4));
        var fade = random.NextDouble() < 0.3 ? (float)(0.03 + (random.NextDouble() * 0.15)) : 0f;

        // Saturation around luminance, then contrast around mid-grey, then brightness, then a fade towards white.
        float[] luma = [0.2126f, 0.7152f, 0.0722f];
        var matrix = new float[20];
        for (var row = 0; row < 3; row++)
        {
            for (var column = 0; column < 3; column++)
            {
                var s = (luma[column] * (1 - saturation)) + (row == column ? saturation : 0);
                matrix[(row * 5) + column] = s * contrast * brightness * (1 - fade);
            }

            matrix[(row * 5) + 4] = ((128 * (1 - contrast) * brightness * (1 - fade)) + (255 * fade)) / 255f;
        }

        matrix[18] = 1;
        return SKColorFilter.CreateColorMatrix(matrix);
    }

    private static void DrawLayer(SKCanvas canvas, Random random, int kind, byte alpha)
    {
        using var paint = new SKPaint { IsAntialias = true };
        switch (kind)
        {
            case 0:
                {
                    var cells = random.Next(2, 14);
                    using var small = new SKBitmap(new SKImageInfo(cells, cells, SKColorType.Rgba8888, SKAlphaType.Premul));
                    for (var y = 0; y < cells; y++)
                    {
                        for (var x = 0; x < cells; x++)
                        {
                            small.SetPixel(x, y, RandomColor(random, 255));
                        }
                    }

                    using var image = SKImage.FromBitmap(small);
                    paint.Color = SKColors.White.WithAlpha(alpha);
                    canvas.DrawImage(image, new SKRect(0, 0, Side, Side), new SKSamplingOptions(SKFilterMode.Linear), paint);
                    break;
                }

            case 1:
                {
                    SKColor[] colors = [RandomColor(random, alpha), RandomColor(random, alpha), RandomColor(random, alpha)];
                    var start = new SKPoint(random.Next(Side), random.Next(Side));
                    var end = new SKPoint(random.Next(Side), random.Next(Side));
                    paint.Shader = random.NextDouble() < 0.5
                        ? SKShader.CreateLinearGradient(start, end, colors, SKShaderTileMode.Mirror)
                        : SKShader.CreateRadialGradient(start, 40 + random.Next(Side), colors, SKShaderTileMode.Mirror);
                    canvas.DrawRect(0, 0, Side, Side, paint);
                    break;
                }

            case 2:
                {
                    paint.Color = RandomColor(random, alpha);
                    canvas.DrawRect(0, 0, Side, Side, paint);
                    var shapes = random.Next(4, 30);
                    for (var i = 0; i < shapes; i++)
                    {
                        paint.Color = RandomColor(random, (byte)(alpha * (0.4 + (random.NextDouble() * 0.6))));
                        paint.Style = random.NextDouble() < 0.7 ? SKPaintStyle.Fill : SKPaintStyle.Stroke;
                        paint.StrokeWidth = 1 + random.Next(8);
                        var (x, y) = (random.Next(-20, Side), random.Next(-20, Side));
                        var (w, h) = (random.Next(6, 120), random.Next(6, 120));
                        switch (random.Next(3))
                        {
                            case 0: canvas.DrawRect(x, y, w, h, paint); break;
                            case 1: canvas.DrawOval(new SKRect(x, y, x + w, y + h), paint); break;
                            default: canvas.DrawLine(x, y, x + w, y + h - 60, paint); break;
                        }
                    }

                    break;
                }

            default:
                {
                    // Rows of scribbles stand in for text and signs, which photos often hold.
                    paint.Color = RandomColor(random, alpha);
                    canvas.DrawRect(0, 0, Side, Side, paint);
                    paint.Style = SKPaintStyle.Stroke;
                    paint.Color = RandomColor(random, alpha);
                    paint.StrokeWidth = 1 + random.Next(4);
                    var lineHeight = random.Next(8, 36);
                    for (var y = random.Next(lineHeight); y < Side; y += lineHeight + random.Next(lineHeight))
                    {
                        var x = random.Next(0, 40);
                        var end = random.Next(60, Side + 40);
                        using var path = new SKPath();
                        path.MoveTo(x, y);
                        while (x < end)
                        {
                            x += random.Next(2, lineHeight / 2 + 3);
                            path.LineTo(x, y - random.Next(lineHeight));
                            if (random.NextDouble() < 0.2)
                            {
                                x += lineHeight / 2;
                                path.MoveTo(x, y);
                            }
                        }

                        canvas.DrawPath(path, paint);
                    }

                    break;
                }
        }
    }

    /// <summary>Covers part of the subject with a bar or a patch, as a pole, a finger or a card would.</summary>
    private static void Occlude(SKBitmap bitmap, SKRect subject, Random random)
    {
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint { IsAntialias = true, Color = RandomColor(random, 255) };
        var share = (float)(0.12 + (random.NextDouble() * 0.25));
        if (random.NextDouble() < 0.5)
        {
            var width = subject.Width * share;
            var x = subject.Left + (float)(random.NextDouble() * (subject.Width - width));
            canvas.DrawRect(x, subject.Top - 10, width, subject.Height + 20, paint);
        }
        else
        {
            var (w, h) = (subject.Width * MathF.Sqrt(share) * 1.2f, subject.Height * MathF.Sqrt(share) * 1.2f);
            var x = random.NextDouble() < 0.5 ? subject.Left - (w / 3) : subject.Right - (2 * w / 3);
            var y = subject.Top + (float)(random.NextDouble() * (subject.Height - h));
            canvas.DrawOval(new SKRect(x, y, x + w, y + h), paint);
        }
    }

    /// <summary>Passes the pixels through a JPEG generation at the given quality.</summary>
    private static void Recompress(SKBitmap bitmap, int quality)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        using var decoded = SKBitmap.Decode(data);
        using var canvas = new SKCanvas(bitmap);
        canvas.DrawBitmap(decoded, 0, 0);
    }

    private static void Blur(SKBitmap bitmap, float sigma)
    {
        using var copy = SKImage.FromBitmap(bitmap);
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint { ImageFilter = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp) };
        canvas.DrawImage(copy, 0, 0, paint);
    }

    private static SKColor RandomColor(Random random, byte alpha) =>
        new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), alpha);

    private static void AddNoise(SKBitmap bitmap, Random random, double sigma)
    {
        var pixels = bitmap.GetPixelSpan();
        for (var p = 0; p < pixels.Length; p += 4)
        {
            for (var c = 0; c < 3; c++)
            {
                // A sum of uniforms is close enough to Gaussian noise here.
                var noise = (random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 2 * sigma;
                pixels[p + c] = (byte)Math.Clamp(pixels[p + c] + noise, 0, 255);
            }
        }
    }

    /// <summary>Per pixel along one border, the mean colour of a band <paramref name="band"/> pixels deep (R, G, B floats).</summary>
    private static float[] BorderProfile(ReadOnlySpan<byte> pixels, int width, int height, int band, bool vertical, bool fromStart)
    {
        var length = vertical ? height : width;
        var profile = new float[length * 3];
        for (var i = 0; i < length; i++)
        {
            for (var d = 0; d < band; d++)
            {
                var (x, y) = vertical
                    ? (fromStart ? d : width - 1 - d, i)
                    : (i, fromStart ? d : height - 1 - d);
                var p = ((y * width) + x) * 4;
                for (var c = 0; c < 3; c++)
                {
                    profile[(i * 3) + c] += pixels[p + c] / (float)band;
                }
            }
        }

        return profile;
    }
}
