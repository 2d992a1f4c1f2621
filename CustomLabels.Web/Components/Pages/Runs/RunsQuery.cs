using System.Text.Json;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Components.Shared;

namespace CustomLabels.Web.Components.Pages.Runs;

/// <summary>Turns the runs page's URL into a query, refusing what it cannot mean.</summary>
internal static class RunsQuery
{
    public const int PageSize = 50;

    public static bool TryParse(string? status, string? branch, string? token, out ExecutionQuery query, out string? error)
    {
        query = new ExecutionQuery(NextToken: token, MaxResults: PageSize);
        error = null;
        ExecutionStatus? parsedStatus = null;
        if (!string.IsNullOrEmpty(status))
        {
            try
            {
                parsedStatus = JsonSerializer.Deserialize<ExecutionStatus>($"\"{JsonEncodedText.Encode(status)}\"");
            }
            catch (JsonException)
            {
                error = $"'{status}' is not an execution status; use RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.";
                return false;
            }
        }

        if (!string.IsNullOrEmpty(branch) && !WorkflowEvents.Branches.All.Contains(branch) && branch != WorkflowEvents.Branches.Unknown)
        {
            error = $"'{branch}' is not a branch; use {string.Join(", ", WorkflowEvents.Branches.All)}.";
            return false;
        }

        query = query with { Status = parsedStatus, Branch = string.IsNullOrEmpty(branch) ? null : branch };
        return true;
    }

    public static string DurationOf(ExecutionSummary run, DateTimeOffset now) =>
        Wire.Duration((run.StopDate ?? now) - run.StartDate) + (run.StopDate is null ? " so far" : string.Empty);
}
