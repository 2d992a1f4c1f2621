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
        var pass = new SampleBuilder(backbone, _windows);
        using var shot = Augmenter.Prepare(image);

        // The clean shot as detection's whole-image view sees it: the whole window and the windows on the subject.
        ImagePixels.FillTensor(shot.Image, new SKRect(0, 0, shot.Image.Width, shot.Image.Height), pass.Tensor);
        pass.Run();
        var sx = Side / (float)shot.Image.Width;
        var sy = Side / (float)shot.Image.Height;
        var subject = new SKRect(shot.Subject.Left * sx, shot.Subject.Top * sy, shot.Subject.Right * sx, shot.Subject.Bottom * sy);
        AddSubjectWindows(pass, subject, 0, includeWhole: true);

        for (var v = 1; v <= options.TrainingVariants; v++)
        {
            var (canvas, box) = Augmenter.Composite(shot, random);
            using (canvas)
            {
                ImagePixels.FillTensor(canvas, pass.Tensor);
            }

            pass.Run();
            if (v <= options.ValidationVariants)
            {
                AddValidationWindows(pass, (byte)v);
            }

            AddSubjectWindows(pass, box, (byte)v, includeWhole: false);
            AddBackgroundWindows(pass, box, (byte)v, random);
        }

        return pass.ToSamples();
    }

    /// <summary>Background-only canvases: background samples, and whole validation views with no subject.</summary>
    public ImageSamples ExtractBackgrounds(int index)
    {
        var random = new Random(StableSeed($"background-{index}"));
        var pass = new SampleBuilder(backbone, _windows);
        using (var canvas = Augmenter.Background(random))
        {
            ImagePixels.FillTensor(canvas, pass.Tensor);
        }

        pass.Run();
        if (index % 2 == 1)
        {
            AddValidationWindows(pass, 1);
        }
        else
        {
            AddBackgroundWindows(pass, SKRect.Empty, 1, random, count: 12);
        }

        return pass.ToSamples();
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

    private void AddSubjectWindows(SampleBuilder pass, SKRect subject, byte variant, bool includeWhole)
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
                pass.AddWindow(w, SampleRole.Subject, variant);
                added++;
            }
        }

        if (added == 0 && best >= 0 && bestIou >= 0.2f)
        {
            pass.AddWindow(best, SampleRole.Subject, variant);
        }
    }

    private void AddBackgroundWindows(SampleBuilder pass, SKRect subject, byte variant, Random random, int count = 4)
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
            pass.AddWindow(candidates[pick], SampleRole.Background, variant);
            candidates.RemoveAt(pick);
        }
    }

    private void AddValidationWindows(SampleBuilder pass, byte variant)
    {
        var pooled = new float[_validationWindows.Length * Dimension];
        RegionFeatures.Pool(pass.Map, pass.Colours, _validationWindows, pooled);
        for (var w = 0; w < _validationWindows.Length; w++)
        {
            pass.Add(pooled.AsSpan(w * Dimension, Dimension), SampleRole.ValidationWindow, variant);
        }
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

    /// <summary>One image's extraction: the buffers of a backbone pass, its windows' features, and the samples kept so far.</summary>
    private sealed class SampleBuilder(ResNet18Backbone backbone, GridWindow[] windows)
    {
        private readonly List<SampleRole> _roles = [];
        private readonly List<byte> _variants = [];
        private readonly List<float> _embeddings = [];
        private readonly float[] _pooled = new float[Channels];
        private readonly float[] _windowFeatures = new float[windows.Length * Dimension];

        public float[] Tensor { get; } = new float[ResNet18Backbone.InputLength];

        public float[] Map { get; } = new float[Channels * Cells];

        public float[] Colours { get; private set; } = [];

        /// <summary>Runs the backbone on <see cref="Tensor"/> and pools every window's features.</summary>
        public void Run()
        {
            backbone.Run(Tensor, _pooled, Map);
            Colours = RegionFeatures.ColourCells(Tensor);
            RegionFeatures.Pool(Map, Colours, windows, _windowFeatures);
        }

        public void AddWindow(int window, SampleRole role, byte variant) => Add(_windowFeatures.AsSpan(window * Dimension, Dimension), role, variant);

        public void Add(ReadOnlySpan<float> row, SampleRole role, byte variant)
        {
            _roles.Add(role);
            _variants.Add(variant);
            _embeddings.AddRange(row);
        }

        public ImageSamples ToSamples() => new([.. _roles], [.. _variants], [.. _embeddings]);
    }
}
