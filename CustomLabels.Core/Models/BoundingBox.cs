using System.Globalization;
using System.Text.Json.Serialization;

namespace CustomLabels.Core.Models;

/// <summary>
/// A region of an image as fractions of its width and height, in the shape of Rekognition's
/// <c>Geometry.BoundingBox</c>: <c>Left</c>, <c>Top</c>, <c>Width</c> and <c>Height</c>, each from 0 to 1.
/// </summary>
public sealed record BoundingBox(
    [property: JsonPropertyName("Left")] float Left,
    [property: JsonPropertyName("Top")] float Top,
    [property: JsonPropertyName("Width")] float Width,
    [property: JsonPropertyName("Height")] float Height)
{
    /// <summary>The object metadata key under which a training image keeps the region that shows its label.</summary>
    public const string MetadataKey = "customlabels-region";

    /// <summary>The smallest side a box may have, as a fraction of the image.</summary>
    public const float MinimumSide = 0.01f;

    /// <summary>True when the box lies inside the image and is not degenerate.</summary>
    [JsonIgnore]
    public bool IsValid =>
        float.IsFinite(Left) && float.IsFinite(Top) && float.IsFinite(Width) && float.IsFinite(Height)
        && Left >= 0 && Top >= 0 && Width >= MinimumSide && Height >= MinimumSide
        && Left + Width <= 1.0001f && Top + Height <= 1.0001f;

    /// <summary>The box as metadata text: <c>left,top,width,height</c>, invariant culture.</summary>
    public string ToMetadata() => string.Create(CultureInfo.InvariantCulture, $"{Left:0.####},{Top:0.####},{Width:0.####},{Height:0.####}");

    /// <summary>Reads a box written by <see cref="ToMetadata"/>; null when the text is not a valid box.</summary>
    public static BoundingBox? FromMetadata(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split(',');
        if (parts.Length != 4)
        {
            return null;
        }

        var values = new float[4];
        for (var i = 0; i < 4; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                return null;
            }
        }

        var box = new BoundingBox(values[0], values[1], values[2], values[3]);
        return box.IsValid ? box : null;
    }

    /// <summary>The box of an object's metadata, when it has a valid one.</summary>
    public static BoundingBox? Of(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(MetadataKey, out var text) ? FromMetadata(text) : null;
}

/// <summary>Where a label was found (Rekognition's <c>Geometry</c>; only the bounding box here).</summary>
/// <param name="BoundingBox">The region that decided the label.</param>
public sealed record LabelGeometry([property: JsonPropertyName("BoundingBox")] BoundingBox BoundingBox);
