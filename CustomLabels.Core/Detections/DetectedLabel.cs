using System.Text.Json.Serialization;
using CustomLabels.Core.Models;

namespace CustomLabels.Core.Detections;

/// <summary>One label in DetectCustomLabels' shape, with the region that decided it when the model says (omitted when not).</summary>
/// <param name="Name">The label.</param>
/// <param name="Confidence">Its confidence, 0 to 100.</param>
/// <param name="Geometry">The region that decided it, or null.</param>
public sealed record DetectedLabel(
    [property: JsonPropertyName("Name")] string Name,
    [property: JsonPropertyName("Confidence")] float Confidence,
    [property: JsonPropertyName("Geometry"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LabelGeometry? Geometry = null)
{
    /// <summary>The label in this shape.</summary>
    public static DetectedLabel From(CustomLabel label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return new(label.Name, label.Confidence, label.Geometry);
    }

    /// <summary>The label as the model's port names it.</summary>
    public CustomLabel ToCustomLabel() => new(Name, Confidence, Geometry);
}
