using System.Text.Json.Serialization;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// The state machine's executions, shaped like AWS Step Functions. Every event (a parameter change, a schedule,
/// a new object) starts an execution of the one definition, <c>infra/statemachine.asl.json</c>.
/// Embedded: the runner interprets that file with SQLite history; AWS: Step Functions.
/// </summary>
public interface IWorkflowService
{
    /// <summary>Starts an execution with an event as its input (JSON).</summary>
    Task<ExecutionSummary> StartExecutionAsync(string inputJson, string? name = null, CancellationToken cancellationToken = default);

    /// <summary>Executions, newest first, filtered and paged.</summary>
    Task<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default);

    /// <summary>One execution with its input and output, or null.</summary>
    Task<ExecutionDetail?> DescribeExecutionAsync(string executionId, CancellationToken cancellationToken = default);

    /// <summary>An execution's history events, oldest first.</summary>
    Task<IReadOnlyList<HistoryEvent>> GetExecutionHistoryAsync(string executionId, CancellationToken cancellationToken = default);

    /// <summary>Waits until an execution is no longer RUNNING and describes it.</summary>
    Task<ExecutionDetail> WaitForCompletionAsync(string executionId, TimeSpan timeout, CancellationToken cancellationToken = default);
}

/// <summary>Step Functions' execution statuses.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExecutionStatus>))]
public enum ExecutionStatus
{
    /// <summary>Running.</summary>
    [JsonStringEnumMemberName("RUNNING")] Running,

    /// <summary>Succeeded.</summary>
    [JsonStringEnumMemberName("SUCCEEDED")] Succeeded,

    /// <summary>Failed.</summary>
    [JsonStringEnumMemberName("FAILED")] Failed,

    /// <summary>Timed out.</summary>
    [JsonStringEnumMemberName("TIMED_OUT")] TimedOut,

    /// <summary>Aborted.</summary>
    [JsonStringEnumMemberName("ABORTED")] Aborted,

    /// <summary>Failed, timed out or aborted, and being redriven: it runs again from where it stopped.</summary>
    [JsonStringEnumMemberName("PENDING_REDRIVE")] PendingRedrive,

    /// <summary>A status the service added after this version of the product; <see cref="ExecutionSummary.StatusText"/> has it.</summary>
    [JsonStringEnumMemberName("OTHER")] Other,
}

/// <summary>One execution in a list.</summary>
/// <param name="ExecutionId">The id (embedded) or ARN (AWS).</param>
/// <param name="Name">The execution's name.</param>
/// <param name="Branch">Which of the five branches it took: parameter, training, detection, review, sampling (or unknown).</param>
/// <param name="Status">The status.</param>
/// <param name="StartDate">When it started.</param>
/// <param name="StopDate">When it ended, if it has.</param>
public sealed record ExecutionSummary(
    string ExecutionId,
    string Name,
    string Branch,
    ExecutionStatus Status,
    DateTimeOffset StartDate,
    DateTimeOffset? StopDate)
{
    /// <summary>The status as the service named it, when it is one the product does not know (<see cref="ExecutionStatus.Other"/>); null otherwise.</summary>
    public string? StatusText { get; init; }
}

/// <summary>One execution with its input, output and error.</summary>
public sealed record ExecutionDetail(
    ExecutionSummary Summary,
    string Input,
    string? Output,
    string? Error,
    string? Cause);

/// <summary>Which executions to list.</summary>
/// <param name="Status">Only this status.</param>
/// <param name="Branch">Only this branch.</param>
/// <param name="NextToken">The previous page's token.</param>
/// <param name="MaxResults">The page size, 1 to 1000.</param>
public sealed record ExecutionQuery(ExecutionStatus? Status = null, string? Branch = null, string? NextToken = null, int MaxResults = 50);

/// <summary>A page of executions.</summary>
public sealed record ExecutionPage(IReadOnlyList<ExecutionSummary> Executions, string? NextToken);

/// <summary>One history event, with Step Functions' type names (ExecutionStarted, TaskStateEntered, ...).</summary>
/// <param name="Id">1, 2, ... within the execution.</param>
/// <param name="PreviousEventId">The event this one follows from.</param>
/// <param name="Type">The event type name.</param>
/// <param name="Timestamp">When it happened.</param>
/// <param name="StateName">The state it concerns, if any.</param>
/// <param name="Input">The state's or task's input (JSON), if any.</param>
/// <param name="Output">The state's or task's output (JSON), if any.</param>
/// <param name="Error">The error name, for failures.</param>
/// <param name="Cause">The failure's cause.</param>
public sealed record HistoryEvent(
    long Id,
    long PreviousEventId,
    string Type,
    DateTimeOffset Timestamp,
    string? StateName = null,
    string? Input = null,
    string? Output = null,
    string? Error = null,
    string? Cause = null);
