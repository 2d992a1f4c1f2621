using System.Text.Json.Nodes;
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

        return new ProjectVersionsResponse(
            items.FirstOrDefault(v => v.Running)?.Version.VersionName,
            items);
    }

    /// <summary>Per-label metrics from an evaluation summary in Rekognition's summary-file shape (<c>LabelEvaluationResults</c>).</summary>
    internal static async Task<IReadOnlyList<LabelMetrics>> ReadLabelMetricsAsync(
        IObjectStore store, string key, ILogger logger, CancellationToken cancellationToken)
    {
        JsonNode? summary;
        try
        {
            summary = JsonNode.Parse(await store.ReadAllBytesAsync(key, cancellationToken));
        }
        catch (Exception e) when (e is ObjectNotFoundException or System.Text.Json.JsonException)
        {
            LogUnreadableSummary(logger, key, e.Message);
            return [];
        }

        return [.. (summary?["LabelEvaluationResults"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(l => new LabelMetrics(
                (string?)l["Label"] ?? string.Empty,
                Number(l["Metrics"]?["F1Score"]),
                Number(l["Metrics"]?["Precision"]),
                Number(l["Metrics"]?["Recall"]),
                Number(l["Metrics"]?["Threshold"]),
                (int?)Number(l["NumberOfTestingImages"])))];
    }

    private static double? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The evaluation summary {Key} cannot be read: {Reason}")]
    private static partial void LogUnreadableSummary(ILogger logger, string key, string reason);
}

/// <summary>Every version, and the name of the one that runs.</summary>
public sealed record ProjectVersionsResponse(string? RunningVersion, IReadOnlyList<ProjectVersionResponse> Versions);

/// <summary>One version, whether it runs, and its per-label metrics.</summary>
public sealed record ProjectVersionResponse(ProjectVersion Version, bool Running, IReadOnlyList<LabelMetrics> Labels);

/// <summary>One label's evaluation.</summary>
public sealed record LabelMetrics(string Label, double? F1Score, double? Precision, double? Recall, double? Threshold, int? TestImages);
