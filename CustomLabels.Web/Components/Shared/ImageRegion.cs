using System.Globalization;
using CustomLabels.Core.Models;

namespace CustomLabels.Web.Components.Shared;

/// <summary>Whose region an <see cref="ImageRegion"/> is: the model's (where it looked) or the reviewer's (drawn).</summary>
public enum RegionKind
{
    /// <summary>The region that decided the model's label.</summary>
    Model,

    /// <summary>A box the reviewer drew.</summary>
    Reviewer,
}

/// <summary>A region to draw over an image: the box, the text on it, whose it is and how a screen reader names it.</summary>
public sealed record ImageRegion(BoundingBox Box, string Label, RegionKind Kind, string Description)
{
    /// <summary>The box as CSS in percentages of the image, so it stays on the same part of it at any displayed size.</summary>
    public string Style => string.Create(
        CultureInfo.InvariantCulture,
        $"left:{Box.Left * 100:0.####}%;top:{Box.Top * 100:0.####}%;width:{Box.Width * 100:0.####}%;height:{Box.Height * 100:0.####}%");

    /// <summary>The region of a detected label, when the model gave one.</summary>
    public static ImageRegion? Of(CustomLabel? label) =>
        label?.Geometry is { BoundingBox: { } box }
            ? new ImageRegion(box, label.Name, RegionKind.Model, $"Where the model found {label.Name}")
            : null;
}
