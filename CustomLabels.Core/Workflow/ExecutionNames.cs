using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// Execution names derived from the event that starts them, so that the same event starts the same execution
/// however often it is reported (an object seen by the store, a folder watcher and a scan; a schedule firing again
/// after a restart). Starting an execution again with the same name and input returns the existing one.
/// </summary>
public static class ExecutionNames
{
    /// <summary>The execution for an object: one per key and ETag.</summary>
    public static string ForObject(string key, string etag)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(etag);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\n{etag}"));
        var prefix = key.StartsWith(Storage.BucketLayout.DetectionImages, StringComparison.Ordinal) ? WorkflowEvents.Branches.Detection
            : key.StartsWith(Storage.BucketLayout.HumanLoopOutput, StringComparison.Ordinal) ? WorkflowEvents.Branches.Review
            : "object";
        return $"{prefix}-{Convert.ToHexStringLower(hash.AsSpan(0, 16))}";
    }

    /// <summary>The execution for one version of a parameter.</summary>
    public static string ForParameterChange(string name, long version) =>
        $"parameter-{Sanitize(name)}-v{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The execution for one firing of a schedule, due at <paramref name="due"/>.</summary>
    public static string ForSchedule(string schedule, DateTimeOffset due) =>
        $"{Sanitize(schedule)}-{due.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture)}";

    private static string Sanitize(string text)
    {
        var clean = new string([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);
        return clean.Length > 50 ? clean[..50] : clean;
    }
}
