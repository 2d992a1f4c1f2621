using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Core.Detections;

/// <summary>How long a detection is waited for, bound from <c>CustomLabels:Api</c> (where the API's other limits are).</summary>
public sealed class DetectionOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:Api";

    /// <summary>
    /// How long a detection (from the API or the dashboard) waits for a version to be deployed and for its run to end.
    /// Default: 2 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DetectionTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
