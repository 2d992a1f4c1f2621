using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.ProjectVersions;

/// <summary>
/// The model's versions with their status, F1, per-label metrics (with each label's assumed threshold), the F1 gate's
/// comparison with the version that was running, which one runs and which one serves detection.
/// </summary>
internal static partial class ProjectVersionsEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/project-versions", ListAsync)
            .RequireAuthorization(Policies.Operator)
            .WithTags("Project versions")
            .WithName("ListProjectVersions")
            .WithSummary("Versions, newest first, with status, F1, per-label metrics and thresholds, the F1 gate's comparison and which one runs");
    }

    private static async Task<ProjectVersionsResponse> ListAsync(
        [FromServices] ICustomLabelsModel model,
        [FromServices] IObjectStore store,
        [FromServices] SystemStateStore state,
        [FromServices] ILogger<ProjectVersionsResponse> logger,
        CancellationToken cancellationToken)
    {
        var versions = await model.DescribeProjectVersionsAsync(null, cancellationToken);
        var serving = ServingVersion.Of(await state.ReadAsync(cancellationToken), versions);
        var items = new List<ProjectVersionResponse>(versions.Count);
        foreach (var version in versions)
        {
            var labels = version.EvaluationSummaryKey is { } key ? await ReadLabelMetricsAsync(store, key, logger, cancellationToken) : [];
            var comparison = await ReadComparisonAsync(store, version.VersionName, logger, cancellationToken);
            items.Add(new ProjectVersionResponse(version, version.Status == ProjectVersionStatus.Running, version.VersionName == serving, labels, comparison));
        }

        return new ProjectVersionsResponse(items.FirstOrDefault(v => v.Running)?.Version.VersionName, serving, items);
    }

    /// <summary>Per-label metrics from the version's evaluation summary; none when it cannot be read.</summary>
    private static async Task<IReadOnlyList<LabelEvaluationResult>> ReadLabelMetricsAsync(
        IObjectStore store, string key, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return (await EvaluationSummary.ReadAsync(store, key, cancellationToken)).LabelEvaluationResults;
        }
        catch (Exception e) when (e is ObjectNotFoundException or InvalidDataException)
        {
            LogUnreadableSummary(logger, key, e.Message);
            return [];
        }
    }

    /// <summary>The F1 gate's comparison of the version; none when it was not made or cannot be read.</summary>
    private static async Task<VersionComparison?> ReadComparisonAsync(IObjectStore store, string versionName, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await VersionComparison.TryReadAsync(store, versionName, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            LogUnreadableSummary(logger, VersionComparison.KeyFor(versionName), e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The evaluation file {Key} cannot be read: {Reason}")]
    private static partial void LogUnreadableSummary(ILogger logger, string key, string reason);
}

/// <summary>
/// Every version, the name of the one that is RUNNING, and the name of the one that serves detection: the deployed one.
/// A new version is RUNNING a moment before its deployment makes it serve.
/// </summary>
public sealed record ProjectVersionsResponse(string? RunningVersion, string? ServingVersion, IReadOnlyList<ProjectVersionResponse> Versions);

/// <summary>
/// One version, whether it runs, whether it serves detection (it is the deployed one), its per-label evaluation (F1, precision, recall and the label's assumed threshold,
/// 0..1), and the F1 gate's comparison with the version that was running (<c>evaluation/&lt;version&gt;/comparison.json</c>),
/// null when the gate has not decided on it.
/// </summary>
public sealed record ProjectVersionResponse(ProjectVersion Version, bool Running, bool Serving, IReadOnlyList<LabelEvaluationResult> Labels, VersionComparison? Comparison);
