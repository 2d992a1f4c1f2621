using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Executions;

/// <summary>The state machine's executions and their history.</summary>
internal static class ExecutionsEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var executions = api.MapGroup("/executions").RequireAuthorization(Policies.Operator).WithTags("Executions");
        executions.MapGet("/", ListAsync).WithName("ListExecutions").WithSummary("Executions, newest first, filtered and paged");
        executions.MapGet("/{id}", DescribeAsync)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("DescribeExecution")
            .WithSummary("One execution with its input and output");
        executions.MapGet("/{id}/history", HistoryAsync)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetExecutionHistory")
            .WithSummary("An execution's history events, oldest first");
    }

    private static Task<ExecutionPage> ListAsync(
        [FromServices] IWorkflowService workflow,
        string? status,
        string? branch,
        string? nextToken,
        int? maxResults,
        CancellationToken cancellationToken)
    {
        if (branch is not null && branch != WorkflowEvents.Branches.Unknown && !WorkflowEvents.Branches.All.Contains(branch))
        {
            throw ApiProblemException.BadRequest(
                $"'{branch}' is not a branch; use one of {string.Join(", ", WorkflowEvents.Branches.All)} or {WorkflowEvents.Branches.Unknown}.");
        }

        if (maxResults is < 1 or > 1000)
        {
            throw ApiProblemException.BadRequest("maxResults must be a whole number from 1 to 1000.");
        }

        return workflow.ListExecutionsAsync(new ExecutionQuery(ParseStatus(status), branch, nextToken, maxResults ?? 50), cancellationToken);
    }

    private static async Task<ExecutionResponse> DescribeAsync([FromServices] IWorkflowService workflow, string id, CancellationToken cancellationToken)
    {
        var detail = await workflow.DescribeExecutionAsync(id, cancellationToken) ?? throw NotFound(id);
        return new ExecutionResponse(detail.Summary, ParseJson(detail.Input), ParseJson(detail.Output), detail.Error, detail.Cause);
    }

    private static async Task<IReadOnlyList<HistoryEvent>> HistoryAsync([FromServices] IWorkflowService workflow, string id, CancellationToken cancellationToken)
    {
        _ = await workflow.DescribeExecutionAsync(id, cancellationToken) ?? throw NotFound(id);
        return await workflow.GetExecutionHistoryAsync(id, cancellationToken);
    }

    private static ExecutionStatus? ParseStatus(string? status)
    {
        if (string.IsNullOrEmpty(status))
        {
            return null;
        }

        var normalized = status.Replace("_", string.Empty, StringComparison.Ordinal);
        return Enum.TryParse<ExecutionStatus>(normalized, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(status, out _)
            ? parsed
            : throw ApiProblemException.BadRequest($"'{status}' is not a status; use RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.");
    }

    private static JsonNode? ParseJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(json);
        }
    }

    private static ApiProblemException NotFound(string id) => ApiProblemException.NotFound($"There is no execution '{id}'.");
}

/// <summary>One execution with its input and output as JSON.</summary>
public sealed record ExecutionResponse(ExecutionSummary Summary, JsonNode? Input, JsonNode? Output, string? Error, string? Cause);
