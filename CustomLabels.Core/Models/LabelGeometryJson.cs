using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CustomLabels.Core.Models;

/// <summary>
/// A label's <c>Geometry</c> as JSON in Rekognition's shape, <c>{"BoundingBox": {"Left", "Top", "Width", "Height"}}</c>,
/// for the places that read or write it by hand: the Rekognition adapter, the human loop's input content and the
/// detection run's result.
/// </summary>
public static class LabelGeometryJson
{
    /// <summary>
    /// Reads a <c>Geometry</c> member. A box reaching outside the image (Rekognition allows it for a partly visible
    /// object) is cut to the image; null when there is no box, a member is not a number, or what is left is degenerate.
    /// </summary>
    public static LabelGeometry? Read(JsonNode? geometry)
    {
        var box = geometry?["BoundingBox"];
        if (Number(box?["Left"]) is not { } left || Number(box?["Top"]) is not { } top
            || Number(box?["Width"]) is not { } width || Number(box?["Height"]) is not { } height)
        {
            return null;
        }

        var x0 = Math.Clamp(left, 0, 1);
        var y0 = Math.Clamp(top, 0, 1);
        var x1 = Math.Clamp(left + width, 0, 1);
        var y1 = Math.Clamp(top + height, 0, 1);
        var region = new BoundingBox((float)x0, (float)y0, (float)(x1 - x0), (float)(y1 - y0));
        return region.IsValid ? new LabelGeometry(region) : null;
    }

    /// <summary>Writes a <c>Geometry</c> member.</summary>
    public static JsonObject Write(LabelGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        var box = geometry.BoundingBox;
        return new JsonObject
        {
            ["BoundingBox"] = new JsonObject { ["Left"] = box.Left, ["Top"] = box.Top, ["Width"] = box.Width, ["Height"] = box.Height },
        };
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
        && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? number
            : null;
}
