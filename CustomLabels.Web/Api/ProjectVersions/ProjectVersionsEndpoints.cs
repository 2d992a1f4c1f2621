using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.ProjectVersions;

/// <summary>The model's versions with their status, F1 and per-label metrics, and which one runs.</summary>
internal static partial class ProjectVersionsEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/project-versions", ListAsync)
            .RequireAuthorization(Policies.Operator)
            .WithTags("Project versions")
            .WithName("ListProjectVersions")
            .WithSummary("Versions, newest first, with status, F1, per-label metrics and which one runs");
    }

    private static async Task<ProjectVersionsResponse> ListAsync(
        [FromServices] ICustomLabelsModel model,
        [FromServices] IObjectStore store,
        [FromServices] ILogger<ProjectVersionsResponse> logger,
        CancellationToken cancellationToken)
    {
        var versions = await model.DescribeProjectVersionsAsync(null, cancellationToken);
        var items = new List<ProjectVersionResponse>(versions.Count);
        foreach (var version in versions)
        {
            var labels = version.EvaluationSummaryKey is { } key ? await ReadLabelMetricsAsync(store, key, logger, cancellationToken) : [];
            items.Add(new ProjectVersionResponse(version, version.Status == ProjectVersionStatus.Running, labels));
        }

        return new ProjectVersionsResponse(items.FirstOrDefault(v => v.Running)?.Version.VersionName, items);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The evaluation summary {Key} cannot be read: {Reason}")]
    private static partial void LogUnreadableSummary(ILogger logger, string key, string reason);
}

/// <summary>Every version, and the name of the one that runs.</summary>
public sealed record ProjectVersionsResponse(string? RunningVersion, IReadOnlyList<ProjectVersionResponse> Versions);

/// <summary>One version, whether it runs, and its per-label evaluation (F1, precision, recall, threshold).</summary>
public sealed record ProjectVersionResponse(ProjectVersion Version, bool Running, IReadOnlyList<LabelEvaluationResult> Labels);
