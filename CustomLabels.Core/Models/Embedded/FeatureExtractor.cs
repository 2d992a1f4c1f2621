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

    /// <summary>A logo that is none of the labels (a generated one, or one a reviewer rejected): a hard negative.</summary>
    Foreign = 3,
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
    public const string RecipeVersion = "r5";

    private const int Channels = ResNet18Backbone.Channels;
    private const int Dimension = RegionFeatures.Dimension;
    private const int Cells = ResNet18Backbone.GridSize * ResNet18Backbone.GridSize;
    private const int Side = ResNet18Backbone.InputSize;

    // Every square window of the feature map, one cell to all 49: detection scores them all, and whole validation views
    // keep them all, so validation sees what detection sees (validation AUROC on logos-dev's training images: 0.988
    // with single cells, 0.981 without).
    private readonly GridWindow[] _windows = RegionPooling.Windows([1, 2, 3, 4, 5, 7]);

    /// <summary>A training image whose border is busier than this (<see cref="Augmenter.BorderRoughness"/>) is a photo, not a clean shot.</summary>
    public const float PhotoBorderRoughness = 2.5f;

    private const int PhotoBackgroundSamples = 12;
    private const int RejectedRandomSamples = 8;

    private BoundingBox[]? _detectionBoxes;

    public ResNet18Backbone Backbone => backbone;

    /// <summary>
    /// The region of the image (fractions of its width and height) that each row of <see cref="ExtractForDetection"/>
    /// covers, in the same order: per view (the whole image, then the tiles row by row), every window of the feature map.
    /// </summary>
    public BoundingBox[] DetectionBoxes => _detectionBoxes ??= [.. Views(1, 1).SelectMany(view => _windows.Select(window =>
    {
        var (l, t, r, b) = window.Pixels;
        return new BoundingBox(
            view.Left + (view.Width * l / Side),
            view.Top + (view.Height * t / Side),
            view.Width * (r - l) / Side,
            view.Height * (b - t) / Side);
    }))];

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

    /// <summary>
    /// A generated logo-like graphic that is no label's (<see cref="ForeignLogos"/>), composited like a training shot:
    /// its windows are <see cref="SampleRole.Foreign"/> samples, and the first composite is also a whole validation view.
    /// </summary>
    public ImageSamples ExtractForeign(int index, int variants)
    {
        var random = new Random(StableSeed($"foreign-{index}"));
        var pass = new SampleBuilder(backbone, _windows);
        using var shot = ForeignLogos.Draw(random);
        for (var v = 1; v <= variants; v++)
        {
            var (canvas, box) = Augmenter.Composite(shot, random);
            using (canvas)
            {
                ImagePixels.FillTensor(canvas, pass.Tensor);
            }

            pass.Run();
            if (v == 1)
            {
                AddValidationWindows(pass, (byte)v);
            }

            AddSubjectWindows(pass, box, (byte)v, includeWhole: false, SampleRole.Foreign);
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

    /// <summary>
    /// The samples of a photo of a label, from its detection regions: the regions on <paramref name="subject"/> are the
    /// label's samples, a seeded few regions well off it are background, and every region together is one whole
    /// validation view, as detection sees the photo.
    /// </summary>
    public ImageSamples PhotoSamples(float[] regions, BoundingBox subject, IReadOnlyCollection<int> confusable, string contentHash)
    {
        var random = new Random(StableSeed($"photo-{contentHash}"));
        var boxes = DetectionBoxes;
        var builder = new RowBuilder();
        builder.AddAll(regions, SampleRole.ValidationWindow, 1);
        var (best, bestIou, added) = (-1, 0f, 0);
        var off = new List<int>();
        for (var r = 0; r < boxes.Length; r++)
        {
            var iou = Iou(boxes[r], subject);
            if (iou >= 0.5f)
            {
                builder.Add(regions, r, SampleRole.Subject, 1);
                added++;
            }

            if (iou > bestIou)
            {
                (best, bestIou) = (r, iou);
            }

            if (IsOff(boxes[r], subject) && !confusable.Contains(r))
            {
                off.Add(r);
            }
        }

        if (added == 0 && best >= 0)
        {
            builder.Add(regions, best, SampleRole.Subject, 1);
        }

        foreach (var r in confusable.Where(r => r >= 0 && r < boxes.Length))
        {
            builder.Add(regions, r, SampleRole.Background, 1);
        }

        for (var i = 0; i < PhotoBackgroundSamples && off.Count > 0; i++)
        {
            var pick = random.Next(off.Count);
            builder.Add(regions, off[pick], SampleRole.Background, 1);
            off.RemoveAt(pick);
        }

        return builder.ToSamples();
    }

    /// <summary>
    /// The samples of an image that shows none of the labels (a reviewer's "none of the above"): the regions that looked
    /// most like a label (<paramref name="hardRegions"/>) and a seeded few others are <see cref="SampleRole.Foreign"/>,
    /// and every region together is one whole validation view of an unknown.
    /// </summary>
    public static ImageSamples RejectedSamples(float[] regions, IReadOnlyCollection<int> hardRegions, string contentHash)
    {
        var random = new Random(StableSeed($"rejected-{contentHash}"));
        var count = regions.Length / Dimension;
        var builder = new RowBuilder();
        builder.AddAll(regions, SampleRole.ValidationWindow, 1);
        var chosen = new HashSet<int>(hardRegions.Where(r => r >= 0 && r < count));
        for (var i = 0; i < RejectedRandomSamples; i++)
        {
            chosen.Add(random.Next(count));
        }

        foreach (var r in chosen.Order())
        {
            builder.Add(regions, r, SampleRole.Foreign, 1);
        }

        return builder.ToSamples();
    }

    /// <summary>True when a region overlaps a subject by less than a tenth of either's area.</summary>
    public static bool IsOff(BoundingBox region, BoundingBox subject)
    {
        var overlap = Overlap(region, subject);
        return overlap < 0.1f * Area(region) && overlap < 0.1f * Area(subject);
    }

    private static float Area(BoundingBox box) => box.Width * box.Height;

    private static float Overlap(BoundingBox a, BoundingBox b)
    {
        var w = Math.Min(a.Left + a.Width, b.Left + b.Width) - Math.Max(a.Left, b.Left);
        var h = Math.Min(a.Top + a.Height, b.Top + b.Height) - Math.Max(a.Top, b.Top);
        return w > 0 && h > 0 ? w * h : 0;
    }

    private static float Iou(BoundingBox a, BoundingBox b)
    {
        var overlap = Overlap(a, b);
        return overlap <= 0 ? 0 : overlap / (Area(a) + Area(b) - overlap);
    }

    private List<SKRect> Views(float width, float height)
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

    private void AddSubjectWindows(SampleBuilder pass, SKRect subject, byte variant, bool includeWhole, SampleRole role = SampleRole.Subject)
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
                pass.AddWindow(w, role, variant);
                added++;
            }
        }

        if (added == 0 && best >= 0 && bestIou >= 0.2f)
        {
            pass.AddWindow(best, role, variant);
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
        for (var w = 0; w < _windows.Length; w++)
        {
            pass.AddWindow(w, SampleRole.ValidationWindow, variant);
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

    /// <summary>Collects sample rows: each with its role, the variant it came from, and its features.</summary>
    private class RowBuilder
    {
        private readonly List<SampleRole> _roles = [];
        private readonly List<byte> _variants = [];
        private readonly List<float> _embeddings = [];

        public void Add(ReadOnlySpan<float> row, SampleRole role, byte variant)
        {
            _roles.Add(role);
            _variants.Add(variant);
            _embeddings.AddRange(row);
        }

        /// <summary>Row <paramref name="row"/> of a region matrix (rows of <see cref="Dimension"/>).</summary>
        public void Add(float[] regions, int row, SampleRole role, byte variant) => Add(regions.AsSpan(row * Dimension, Dimension), role, variant);

        public void AddAll(float[] regions, SampleRole role, byte variant)
        {
            for (var r = 0; r < regions.Length / Dimension; r++)
            {
                Add(regions, r, role, variant);
            }
        }

        public ImageSamples ToSamples() => new([.. _roles], [.. _variants], [.. _embeddings]);
    }

    /// <summary>One image's extraction: the buffers of a backbone pass, its windows' features, and the samples kept so far.</summary>
    private sealed class SampleBuilder(ResNet18Backbone backbone, GridWindow[] windows) : RowBuilder
    {
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

        public void AddWindow(int window, SampleRole role, byte variant) => Add(_windowFeatures, window, role, variant);
    }
}
