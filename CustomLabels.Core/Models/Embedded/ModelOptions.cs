using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>Settings of the embedded model, bound from <c>CustomLabels:Model</c> and validated at start.</summary>
public sealed class ModelOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:Model";

    /// <summary>
    /// The ONNX file of the backbone. Default: none, meaning the ResNet18 the build copies beside the assembly
    /// (<c>Models/Embedded/Onnx/ResNet18.onnx</c>).
    /// </summary>
    public string? BackbonePath { get; set; }

    /// <summary>ONNX Runtime intra-op threads per backbone call (spinning is off). Default: 2.</summary>
    [Range(1, 64)]
    public int IntraOpThreads { get; set; } = 2;

    /// <summary>
    /// Tiles per side of the grid of overlapping crops that detection looks at besides the whole image, so that small
    /// subjects in busy photos are found; 1 means the whole image only. Default: 2 (1 + 4 backbone calls per image).
    /// </summary>
    [Range(1, 4)]
    public int TileGrid { get; set; } = 2;

    /// <summary>Each tile's side as a share of the image's side. Default: 0.6.</summary>
    [Range(0.2, 1.0)]
    public double TileFraction { get; set; } = 0.6;

    /// <summary>Composites on procedural backgrounds made of each training image (one backbone call each). Default: 8.</summary>
    [Range(1, 64)]
    public int TrainingVariants { get; set; } = 8;

    /// <summary>How many of those composites also serve, whole, as validation views. Default: 2.</summary>
    [Range(1, 64)]
    public int ValidationVariants { get; set; } = 2;

    /// <summary>Background-only procedural canvases made per training (half negatives, half validation). Default: 24.</summary>
    [Range(2, 1000)]
    public int BackgroundCanvases { get; set; } = 24;

    /// <summary>
    /// The colour histogram's weight in region features: the embedding's block has length sqrt(1 - w^2) and the
    /// colour block length w, so similarities weigh colour by w^2. 0 turns colour off. Default: 0.4, the best of
    /// 0, 0.25, 0.4 and 0.55 by validation AUROC on logos-dev's training images.
    /// </summary>
    [Range(0.0, 0.9)]
    public float ColourWeight { get; set; } = 0.4f;

    /// <summary>
    /// Generated logo-like graphics that are none of the labels (<c>ForeignLogos</c>), composited like training shots,
    /// that every training shows the head as negatives and validates against as unknowns. They are the same in every
    /// training, so they are embedded once and then read from the cache. Default: 48.
    /// </summary>
    [Range(0, 1000)]
    public int ForeignLogos { get; set; } = 48;

    /// <summary>
    /// Detections whose region features the embedding cache keeps (the newest), so that an answered image trains without
    /// another backbone pass; about 0.7 MB each. Default: 1000.
    /// </summary>
    [Range(0, 1_000_000)]
    public int DetectionCacheEntries { get; set; } = 1000;

    /// <summary>Share of each label's images split off as the test set when no test manifest is given. Default: 0.2.</summary>
    [Range(0.01, 0.9)]
    public double TestFraction { get; set; } = 0.2;
}
