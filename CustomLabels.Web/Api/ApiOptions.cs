using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Web.Api;

/// <summary>Limits of the HTTP API, bound from <c>CustomLabels:Api</c>.</summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:Api";

    /// <summary>The largest request body an upload may have, in bytes. Default: 256 MiB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long <c>POST /api/detect</c> waits for its detection run. Default: 2 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DetectionTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
