using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Web.Api;

/// <summary>Limits of the HTTP API, bound from <c>CustomLabels:Api</c> (its detection timeout is Core's <see cref="Core.Detections.DetectionOptions"/>).</summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:Api";

    /// <summary>The largest request body an upload may have, in bytes. Default: 256 MiB.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 256L * 1024 * 1024;
}
