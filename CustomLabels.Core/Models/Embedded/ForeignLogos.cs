using SkiaSharp;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// Draws logo-like graphics that are no one's logo: badges (discs, rounded squares, hexagons, shields) with rings,
/// gradients and a glyph or letters on them, word marks in the shipped typefaces, swooshes, petal and segment marks,
/// and mascot-like blobs with eyes, in vivid colours. Composited like the training shots, they show the head what a
/// logo it was never taught looks like, which a user's own set cannot show when it has few labels; they are negatives
/// in training and unknown views in validation. Everything is seeded, hence the same on every machine.
/// </summary>
internal static class ForeignLogos
{
    /// <summary>The side of the square a logo is drawn on.</summary>
    public const int Side = 256;

    private const string Letters = "ABCDEFGHJKLMNPQRSTUVWXYZabdeghkmnpqrstuvwxyz";

    private static readonly Lazy<SKTypeface[]> Typefaces = new(LoadTypefaces);

    /// <summary>The typefaces that ship with the product (embedded resources), or the platform default if none load.</summary>
    private static SKTypeface[] LoadTypefaces()
    {
        var assembly = typeof(ForeignLogos).Assembly;
        var faces = new List<SKTypeface>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("CustomLabels.Fonts.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name);
            if (stream is not null && SKTypeface.FromStream(stream) is { } face)
            {
                faces.Add(face);
            }
        }

        return faces.Count > 0 ? [.. faces] : [SKTypeface.Default];
    }

    /// <summary>Draws one logo-like graphic on a transparent square; returns it and the bounds of what was drawn.</summary>
    public static TrainingShot Draw(Random random)
    {
        var info = new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Transparent);
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    Badge(canvas, random);
                    break;
                case 2:
                    WordMark(canvas, random);
                    break;
                case 3:
                    Swoosh(canvas, random);
                    break;
                case 4:
                    Petals(canvas, random);
                    break;
                default:
                    Mascot(canvas, random);
                    break;
            }
        }

        var bounds = OpaqueBounds(bitmap);
        using var white = new SKBitmap(info);
        using (var canvas = new SKCanvas(white))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawBitmap(bitmap, 0, 0);
        }

        return new TrainingShot(SKImage.FromBitmap(white), SKImage.FromBitmap(bitmap), bounds);
    }

    private static void Badge(SKCanvas canvas, Random random)
    {
        var (fill, accent) = (Vivid(random), Vivid(random));
        var center = Side / 2f;
        var radius = Side * (0.36f + (float)(random.NextDouble() * 0.1));
        using var path = Shape(random.Next(4), center, radius);
        using var paint = new SKPaint { IsAntialias = true };
        if (random.NextDouble() < 0.6)
        {
            paint.Shader = SKShader.CreateLinearGradient(
                new SKPoint(center, center - radius), new SKPoint(center, center + radius), [Lighter(fill, 0.25f), Darker(fill, 0.25f)], SKShaderTileMode.Clamp);
        }
        else
        {
            paint.Color = fill;
        }

        canvas.DrawPath(path, paint);
        paint.Shader = null;
        if (random.NextDouble() < 0.6)
        {
            paint.Style = SKPaintStyle.Stroke;
            paint.StrokeWidth = radius * (0.06f + (float)(random.NextDouble() * 0.1));
            paint.Color = random.NextDouble() < 0.5 ? SKColors.White : accent;
            using var ring = Shape(0, center, radius * (random.NextDouble() < 0.5 ? 1f : 0.82f));
            canvas.DrawPath(random.NextDouble() < 0.5 ? path : ring, paint);
            paint.Style = SKPaintStyle.Fill;
        }

        var glyph = random.NextDouble() < 0.6 ? SKColors.White : (random.NextDouble() < 0.5 ? accent : new SKColor(30, 30, 30));
        if (random.NextDouble() < 0.5)
        {
            Text(canvas, random, RandomWord(random, 1, 3), center, center, radius * 1.2f, glyph);
        }
        else
        {
            Symbol(canvas, random, center, center, radius * 0.55f, glyph);
        }
    }

    private static void WordMark(SKCanvas canvas, Random random)
    {
        var colour = Vivid(random);
        var word = RandomWord(random, 3, 8);
        var y = Side / 2f;
        if (random.NextDouble() < 0.5)
        {
            // An icon beside or above the word.
            using var icon = Shape(random.Next(4), Side * 0.2f, Side * 0.14f);
            using var paint = new SKPaint { IsAntialias = true, Color = Vivid(random) };
            canvas.DrawPath(icon, paint);
            Symbol(canvas, random, Side * 0.2f, Side / 2f, Side * 0.08f, SKColors.White);
            Text(canvas, random, word, Side * 0.64f, y, Side * 0.66f, colour);
        }
        else
        {
            Text(canvas, random, word, Side / 2f, y, Side * 0.9f, colour);
            if (random.NextDouble() < 0.5)
            {
                using var paint = new SKPaint { IsAntialias = true, Color = Vivid(random), Style = SKPaintStyle.Stroke, StrokeWidth = 6 + random.Next(8), StrokeCap = SKStrokeCap.Round };
                canvas.DrawLine(Side * 0.1f, y + (Side * 0.2f), Side * 0.9f, y + (Side * 0.2f), paint);
            }
        }
    }

    private static void Swoosh(SKCanvas canvas, Random random)
    {
        var strokes = random.Next(1, 4);
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };
        for (var i = 0; i < strokes; i++)
        {
            paint.Color = Vivid(random);
            paint.StrokeWidth = 10 + random.Next(26);
            using var path = new SKPath();
            path.MoveTo(Point(random, 0.05f, 0.35f, 0.3f, 0.85f));
            path.CubicTo(Point(random, 0.2f, 0.8f, 0.05f, 0.5f), Point(random, 0.3f, 0.9f, 0.1f, 0.9f), Point(random, 0.65f, 0.95f, 0.1f, 0.6f));
            canvas.DrawPath(path, paint);
        }

        if (random.NextDouble() < 0.5)
        {
            Text(canvas, random, RandomWord(random, 2, 6), Side / 2f, Side * 0.82f, Side * 0.7f, Vivid(random));
        }
    }

    private static void Petals(SKCanvas canvas, Random random)
    {
        var count = random.Next(3, 9);
        var center = Side / 2f;
        var radius = Side * 0.4f;
        using var paint = new SKPaint { IsAntialias = true };
        var start = (float)(random.NextDouble() * 360);
        var segments = random.NextDouble() < 0.5;
        for (var i = 0; i < count; i++)
        {
            paint.Color = Vivid(random);
            var angle = start + (i * 360f / count);
            if (segments)
            {
                using var path = new SKPath();
                path.AddArc(new SKRect(center - radius, center - radius, center + radius, center + radius), angle, (360f / count) - 4);
                path.LineTo(center, center);
                path.Close();
                canvas.DrawPath(path, paint);
            }
            else
            {
                canvas.Save();
                canvas.RotateDegrees(angle, center, center);
                canvas.DrawOval(new SKRect(center - (radius * 0.22f), center - radius, center + (radius * 0.22f), center), paint);
                canvas.Restore();
            }
        }

        if (random.NextDouble() < 0.6)
        {
            paint.Color = random.NextDouble() < 0.5 ? SKColors.White : new SKColor(40, 40, 40);
            canvas.DrawCircle(center, center, radius * (0.15f + (float)(random.NextDouble() * 0.2)), paint);
        }
    }

    private static void Mascot(SKCanvas canvas, Random random)
    {
        var body = Vivid(random);
        var center = Side / 2f;
        using var paint = new SKPaint { IsAntialias = true, Color = body };
        var (w, h) = (Side * (0.3f + (float)(random.NextDouble() * 0.12)), Side * (0.3f + (float)(random.NextDouble() * 0.12)));
        canvas.DrawRoundRect(new SKRect(center - w, center - h, center + w, center + h), w * 0.6f, h * 0.6f, paint);
        if (random.NextDouble() < 0.5)
        {
            // Ears, horns or a beak.
            using var path = new SKPath();
            path.MoveTo(center - (w * 0.8f), center - (h * 0.6f));
            path.LineTo(center - (w * 0.5f), center - (h * 1.35f));
            path.LineTo(center - (w * 0.1f), center - (h * 0.8f));
            path.MoveTo(center + (w * 0.8f), center - (h * 0.6f));
            path.LineTo(center + (w * 0.5f), center - (h * 1.35f));
            path.LineTo(center + (w * 0.1f), center - (h * 0.8f));
            canvas.DrawPath(path, paint);
        }

        var eye = w * (0.16f + (float)(random.NextDouble() * 0.12));
        var eyeY = center - (h * 0.15f);
        foreach (var x in new[] { center - (w * 0.4f), center + (w * 0.4f) })
        {
            paint.Color = SKColors.White;
            canvas.DrawCircle(x, eyeY, eye, paint);
            paint.Color = new SKColor(30, 30, 40);
            canvas.DrawCircle(x + (eye * 0.2f), eyeY, eye * 0.5f, paint);
        }

        if (random.NextDouble() < 0.6)
        {
            paint.Color = Darker(body, 0.4f);
            paint.Style = SKPaintStyle.Stroke;
            paint.StrokeWidth = 5;
            canvas.DrawArc(new SKRect(center - (w * 0.4f), center, center + (w * 0.4f), center + (h * 0.6f)), 20, 140, false, paint);
        }
    }

    /// <summary>A simple symbol: a play triangle, a key, a star, an arrow, a drop, a cross, a bolt or a ring.</summary>
    private static void Symbol(SKCanvas canvas, Random random, float x, float y, float size, SKColor colour)
    {
        using var paint = new SKPaint { IsAntialias = true, Color = colour };
        using var path = new SKPath();
        switch (random.Next(8))
        {
            case 0:
                path.MoveTo(x - (size * 0.5f), y - (size * 0.7f));
                path.LineTo(x + (size * 0.75f), y);
                path.LineTo(x - (size * 0.5f), y + (size * 0.7f));
                path.Close();
                break;
            case 1:
                path.AddCircle(x - (size * 0.4f), y, size * 0.4f);
                path.AddRect(new SKRect(x - (size * 0.1f), y - (size * 0.1f), x + size, y + (size * 0.1f)));
                path.AddRect(new SKRect(x + (size * 0.6f), y, x + (size * 0.75f), y + (size * 0.4f)));
                break;
            case 2:
                Polygon(path, 10, i => (i % 2 == 0 ? size : size * 0.45f, (i * MathF.PI / 5) - (MathF.PI / 2)), x, y);
                break;
            case 3:
                path.MoveTo(x - size, y - (size * 0.2f));
                path.LineTo(x, y - (size * 0.2f));
                path.LineTo(x, y - (size * 0.7f));
                path.LineTo(x + size, y);
                path.LineTo(x, y + (size * 0.7f));
                path.LineTo(x, y + (size * 0.2f));
                path.LineTo(x - size, y + (size * 0.2f));
                path.Close();
                break;
            case 4:
                path.MoveTo(x, y - size);
                path.CubicTo(x + (size * 0.9f), y, x + (size * 0.6f), y + size, x, y + size);
                path.CubicTo(x - (size * 0.6f), y + size, x - (size * 0.9f), y, x, y - size);
                break;
            case 5:
                path.AddRect(new SKRect(x - size, y - (size * 0.25f), x + size, y + (size * 0.25f)));
                path.AddRect(new SKRect(x - (size * 0.25f), y - size, x + (size * 0.25f), y + size));
                break;
            case 6:
                path.MoveTo(x + (size * 0.2f), y - size);
                path.LineTo(x - (size * 0.6f), y + (size * 0.15f));
                path.LineTo(x, y + (size * 0.15f));
                path.LineTo(x - (size * 0.2f), y + size);
                path.LineTo(x + (size * 0.6f), y - (size * 0.15f));
                path.LineTo(x, y - (size * 0.15f));
                path.Close();
                break;
            default:
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = size * 0.3f;
                path.AddCircle(x, y, size * 0.7f);
                break;
        }

        canvas.Save();
        canvas.RotateDegrees((float)((random.NextDouble() * 40) - 20), x, y);
        canvas.DrawPath(path, paint);
        canvas.Restore();
    }

    private static void Text(SKCanvas canvas, Random random, string text, float x, float y, float maxWidth, SKColor colour)
    {
        var faces = Typefaces.Value;
        using var font = new SKFont(faces[random.Next(faces.Length)], 100);
        var width = font.MeasureText(text);
        font.Size = Math.Clamp(100 * maxWidth / Math.Max(1, width), 12, Side * 0.5f);
        var bounds = new SKRect();
        font.MeasureText(text, out bounds);
        using var paint = new SKPaint { IsAntialias = true, Color = colour };
        canvas.DrawText(text, x - bounds.MidX, y - bounds.MidY, SKTextAlign.Left, font, paint);
    }

    private static SKPath Shape(int kind, float center, float radius)
    {
        var path = new SKPath();
        switch (kind)
        {
            case 0:
                path.AddCircle(center, center, radius);
                break;
            case 1:
                path.AddRoundRect(new SKRect(center - radius, center - radius, center + radius, center + radius), radius * 0.35f, radius * 0.35f);
                break;
            case 2:
                Polygon(path, 6, i => (radius, (i * MathF.PI / 3) + (MathF.PI / 6)), center, center);
                break;
            default:
                path.MoveTo(center - radius, center - radius);
                path.LineTo(center + radius, center - radius);
                path.LineTo(center + radius, center);
                path.QuadTo(center + radius, center + (radius * 0.8f), center, center + radius);
                path.QuadTo(center - radius, center + (radius * 0.8f), center - radius, center);
                path.Close();
                break;
        }

        return path;
    }

    /// <summary>A closed polygon around (<paramref name="x"/>, <paramref name="y"/>), each corner given as radius and angle.</summary>
    private static void Polygon(SKPath path, int corners, Func<int, (float Radius, float Angle)> corner, float x, float y)
    {
        for (var i = 0; i < corners; i++)
        {
            var (r, a) = corner(i);
            var p = new SKPoint(x + (r * MathF.Cos(a)), y + (r * MathF.Sin(a)));
            if (i == 0)
            {
                path.MoveTo(p);
            }
            else
            {
                path.LineTo(p);
            }
        }

        path.Close();
    }

    private static string RandomWord(Random random, int min, int max)
    {
        var length = random.Next(min, max + 1);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Letters[random.Next(Letters.Length)];
        }

        return new string(chars);
    }

    private static SKPoint Point(Random random, float left, float right, float top, float bottom) =>
        new(Side * (left + (float)(random.NextDouble() * (right - left))), Side * (top + (float)(random.NextDouble() * (bottom - top))));

    /// <summary>A saturated colour of any hue, as logos use, now and then a near-black or a grey.</summary>
    private static SKColor Vivid(Random random)
    {
        var roll = random.NextDouble();
        if (roll < 0.08)
        {
            var v = (byte)random.Next(20, 70);
            return new SKColor(v, v, v);
        }

        var hue = (float)(random.NextDouble() * 360);
        var saturation = (float)(55 + (random.NextDouble() * 45));
        var value = (float)(45 + (random.NextDouble() * 55));
        return SKColor.FromHsv(hue, saturation, value);
    }

    private static SKColor Lighter(SKColor c, float amount) =>
        new((byte)(c.Red + ((255 - c.Red) * amount)), (byte)(c.Green + ((255 - c.Green) * amount)), (byte)(c.Blue + ((255 - c.Blue) * amount)));

    private static SKColor Darker(SKColor c, float amount) =>
        new((byte)(c.Red * (1 - amount)), (byte)(c.Green * (1 - amount)), (byte)(c.Blue * (1 - amount)));

    private static SKRect OpaqueBounds(SKBitmap bitmap)
    {
        var pixels = bitmap.GetPixelSpan();
        int minX = bitmap.Width, minY = bitmap.Height, maxX = -1, maxY = -1;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                if (pixels[(((y * bitmap.Width) + x) * 4) + 3] > 127)
                {
                    (minX, minY, maxX, maxY) = (Math.Min(minX, x), Math.Min(minY, y), Math.Max(maxX, x), Math.Max(maxY, y));
                }
            }
        }

        return maxX < minX ? new SKRect(0, 0, bitmap.Width, bitmap.Height) : new SKRect(minX, minY, maxX + 1, maxY + 1);
    }
}
