using System.Globalization;
using System.Text.Json;
using CustomLabels.Core.Models;
using CustomLabels.Core.Workflow;

namespace CustomLabels.Web.Components.Shared;

/// <summary>How the dashboard writes statuses, times and durations.</summary>
internal static class Wire
{
    public static string Name(ExecutionStatus status) => JsonSerializer.Serialize(status).Trim('"');

    public static string Name(ProjectVersionStatus status) => JsonSerializer.Serialize(status).Trim('"');

    public static string Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "—";

    public static string Duration(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => $"{duration.TotalMilliseconds:0} ms",
        < 120 => $"{duration.TotalSeconds:0.#} s",
        < 7200 => $"{duration.TotalMinutes:0.#} min",
        < 172800 => $"{duration.TotalHours:0.#} h",
        _ => $"{duration.TotalDays:0.#} days",
    };

    public static string Percent(double? fraction) =>
        fraction is { } f ? f.ToString("0.0%", CultureInfo.InvariantCulture) : "—";

    public static string Confidence(float confidence) => confidence.ToString("0.0", CultureInfo.InvariantCulture);
}
