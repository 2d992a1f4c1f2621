using SkiaSharp;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>What a sample is to the head: the label's subject, or background.</summary>
internal enum SampleRole : byte
{
    /// <summary>The subject of the image's label.</summary>
    Subject = 0,

    /// <summary>Background: no label's subject.</summary>
    Background = 1,

    /// <summary>One window of a whole validation view (every window of it is kept, as detection sees them).</summary>
    ValidationWindow = 2,
}

/// <summary>The embeddings made from one training image: per sample its role, the variant it came from, and 512 floats.</summary>
internal sealed class ImageSamples(SampleRole[] roles, byte[] variants, float[] embeddings)
{
    public SampleRole[] Roles { get; } = roles;

    public byte[] Variants { get; } = variants;

    /// <summary>Row-major, <see cref="RegionFeatures.Dimension"/> per sample.</summary>
    public float[] Embeddings { get; } = embeddings;

    public int Count => Roles.Length;

    public ReadOnlySpan<float> Row(int index) => Embeddings.AsSpan(index * RegionFeatures.Dimension, RegionFeatures.Dimension);
}

/// <summary>
/// Turns images into region embeddings with the backbone. Detection: one pass over the whole image and one over each
/// tile of a grid of overlapping crops, each pass pooled over every window of the feature map. Training: the clean shot
/// and seeded composites of it on procedural backgrounds, each one pass, keeping the windows on the subject as the
/// label's samples and windows off it as background; a few composites keep every window, for validation.
/// </summary>
internal sealed class FeatureExtractor(ResNet18Backbone backbone, ModelOptions options)
{
    /// <summary>Bump when anything that changes training samples changes, so cached samples are not reused across recipes.</summary>
    public const string RecipeVersion = "r3";

    private const int Channels = ResNet18Backbone.Channels;
    private const int Dimension = RegionFeatures.Dimension;
    private const int Cells = ResNet18Backbone.GridSize * ResNet18Backbone.GridSize;
    private const int Side = ResNet18Backbone.InputSize;

    private readonly GridWindow[] _windows = RegionPooling.Windows([1, 2, 3, 4, 5, 7]);
    private readonly GridWindow[] _validationWindows = RegionPooling.Windows([2, 3, 4, 5, 7]);

    public ResNet18Backbone Backbone => backbone;

    /// <summary>The key that names this recipe in the embedding cache.</summary>
    public string CacheRecipe => $"{RecipeVersion}-v{options.TrainingVariants}-val{options.ValidationVariants}";

    /// <summary>The key that names detection's region features in the cache (they depend on the views only).</summary>
    public string DetectionRecipe => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{RecipeVersion}-g{options.TileGrid}-f{options.TileFraction:0.###}");

    /// <summary>Backbone calls one detection makes.</summary>
    public int DetectionCalls => 1 + (options.TileGrid * options.TileGrid);

    /// <summary>Backbone calls one training image makes when it is not cached.</summary>
    public int TrainingCallsPerImage => 1 + options.TrainingVariants;

    /// <summary>The region embeddings of an image for detection: windows x 512, L2-normalised.</summary>
    public float[] ExtractForDetection(SKImage image)
    {
        var views = Views(image.Width, image.Height);
        var result = new float[views.Count * _windows.Length * Dimension];
        var tensor = new float[ResNet18Backbone.InputLength];
        var pooled = new float[Channels];
        var map = new float[Channels * Cells];
        for (var v = 0; v < views.Count; v++)
        {
            ImagePixels.FillTensor(image, views[v], tensor);
            backbone.Run(tensor, pooled, map);
            RegionFeatures.Pool(map, RegionFeatures.ColourCells(tensor), _windows, result.AsSpan(v * _windows.Length * Dimension, _windows.Length * Dimension));
        }

        return result;
    }

    /// <summary>The training samples of one image, seeded by its content hash so they are the same every time.</summary>
    public ImageSamples ExtractForTraining(SKImage image, string contentHash)
    {
        var random = new Random(StableSeed(contentHash));
        var roles = new List<SampleRole>();
        var variants = new List<byte>();
        var embeddings = new List<float>();
        var tensor = new float[ResNet18Backbone.InputLength];
        var pooled = new float[Channels];
        var map = new float[Channels * Cells];
        var all = new float[_windows.Length * Dimension];

        using var shot = Augmenter.Prepare(image);

        // The clean shot as detection's whole-image view sees it: the whole window and the windows on the subject.
        ImagePixels.FillTensor(shot.Image, new SKRect(0, 0, shot.Image.Width, shot.Image.Height), tensor);
        backbone.Run(tensor, pooled, map);
        RegionFeatures.Pool(map, RegionFeatures.ColourCells(tensor), _windows, all);
        var sx = Side / (float)shot.Image.Width;
        var sy = Side / (float)shot.Image.Height;
        var subject = new SKRect(shot.Subject.Left * sx, shot.Subject.Top * sy, shot.Subject.Right * sx, shot.Subject.Bottom * sy);
        AddSubjectWindows(all, subject, 0, includeWhole: true, roles, variants, embeddings);

        for (var v = 1; v <= options.TrainingVariants; v++)
        {
            var (canvas, box) = Augmenter.Composite(shot, random);
            using (canvas)
            {
                ImagePixels.FillTensor(canvas, tensor);
            }

            backbone.Run(tensor, pooled, map);
            var colours = RegionFeatures.ColourCells(tensor);
            RegionFeatures.Pool(map, colours, _windows, all);
            if (v <= options.ValidationVariants)
            {
                AddValidationWindows(map, colours, (byte)v, roles, variants, embeddings);
            }

            AddSubjectWindows(all, box, (byte)v, includeWhole: false, roles, variants, embeddings);
            AddBackgroundWindows(all, box, (byte)v, random, roles, variants, embeddings);
        }

        return new ImageSamples([.. roles], [.. variants], [.. embeddings]);
    }

    /// <summary>Background-only canvases: background samples, and whole validation views with no subject.</summary>
    public ImageSamples ExtractBackgrounds(int index)
    {
        var random = new Random(StableSeed($"background-{index}"));
        var roles = new List<SampleRole>();
        var variants = new List<byte>();
        var embeddings = new List<float>();
        var tensor = new float[ResNet18Backbone.InputLength];
        var pooled = new float[Channels];
        var map = new float[Channels * Cells];
        var all = new float[_windows.Length * Dimension];
        using (var canvas = Augmenter.Background(random))
        {
            ImagePixels.FillTensor(canvas, tensor);
        }

        backbone.Run(tensor, pooled, map);
        RegionFeatures.Pool(map, RegionFeatures.ColourCells(tensor), _windows, all);
        var validation = index % 2 == 1;
        if (validation)
        {
            AddValidationWindows(map, RegionFeatures.ColourCells(tensor), 1, roles, variants, embeddings);
        }
        else
        {
            AddBackgroundWindows(all, SKRect.Empty, 1, random, roles, variants, embeddings, count: 12);
        }

        return new ImageSamples([.. roles], [.. variants], [.. embeddings]);
    }

    private List<SKRect> Views(int width, int height)
    {
        var views = new List<SKRect> { new(0, 0, width, height) };
        var grid = options.TileGrid;
        if (grid > 1)
        {
            var (tileW, tileH) = (width * options.TileFraction, height * options.TileFraction);
            for (var y = 0; y < grid; y++)
            {
                for (var x = 0; x < grid; x++)
                {
                    var left = (width - tileW) * x / (grid - 1);
                    var top = (height - tileH) * y / (grid - 1);
                    views.Add(new SKRect((float)left, (float)top, (float)(left + tileW), (float)(top + tileH)));
                }
            }
        }

        return views;
    }

    private void AddSubjectWindows(
        float[] all, SKRect subject, byte variant, bool includeWhole, List<SampleRole> roles, List<byte> variants, List<float> embeddings)
    {
        var best = -1;
        var bestIou = 0f;
        var added = 0;
        for (var w = 0; w < _windows.Length; w++)
        {
            var iou = Iou(_windows[w], subject);
            if (iou > bestIou)
            {
                (best, bestIou) = (w, iou);
            }

            if (iou >= 0.45f || (includeWhole && _windows[w].Size == ResNet18Backbone.GridSize))
            {
                Add(all, w, SampleRole.Subject, variant, roles, variants, embeddings);
                added++;
            }
        }

        if (added == 0 && best >= 0 && bestIou >= 0.2f)
        {
            Add(all, best, SampleRole.Subject, variant, roles, variants, embeddings);
        }
    }

    private void AddBackgroundWindows(
        float[] all, SKRect subject, byte variant, Random random, List<SampleRole> roles, List<byte> variants, List<float> embeddings, int count = 4)
    {
        var candidates = new List<int>();
        for (var w = 0; w < _windows.Length; w++)
        {
            var (l, t, r, b) = _windows[w].Pixels;
            var window = new SKRect(l, t, r, b);
            var overlap = SKRect.Intersect(window, subject);
            var overlapArea = overlap.IsEmpty ? 0 : overlap.Width * overlap.Height;
            if (overlapArea < 0.1f * window.Width * window.Height && (subject.IsEmpty || overlapArea < 0.1f * subject.Width * subject.Height))
            {
                candidates.Add(w);
            }
        }

        for (var i = 0; i < count && candidates.Count > 0; i++)
        {
            var pick = random.Next(candidates.Count);
            Add(all, candidates[pick], SampleRole.Background, variant, roles, variants, embeddings);
            candidates.RemoveAt(pick);
        }
    }

    private void AddValidationWindows(float[] map, float[] colours, byte variant, List<SampleRole> roles, List<byte> variants, List<float> embeddings)
    {
        var pooled = new float[_validationWindows.Length * Dimension];
        RegionFeatures.Pool(map, colours, _validationWindows, pooled);
        for (var w = 0; w < _validationWindows.Length; w++)
        {
            roles.Add(SampleRole.ValidationWindow);
            variants.Add(variant);
            embeddings.AddRange(pooled.AsSpan(w * Dimension, Dimension));
        }
    }

    private static void Add(float[] all, int window, SampleRole role, byte variant, List<SampleRole> roles, List<byte> variants, List<float> embeddings)
    {
        roles.Add(role);
        variants.Add(variant);
        embeddings.AddRange(all.AsSpan(window * Dimension, Dimension));
    }

    private static float Iou(GridWindow window, SKRect box)
    {
        var (l, t, r, b) = window.Pixels;
        var rect = new SKRect(l, t, r, b);
        var overlap = SKRect.Intersect(rect, box);
        if (overlap.IsEmpty)
        {
            return 0;
        }

        var intersection = overlap.Width * overlap.Height;
        return intersection / ((rect.Width * rect.Height) + (box.Width * box.Height) - intersection);
    }

    /// <summary>A seed from a string that is the same in every process (string.GetHashCode is not).</summary>
    internal static int StableSeed(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & 0x7fffffff);
    }
}
