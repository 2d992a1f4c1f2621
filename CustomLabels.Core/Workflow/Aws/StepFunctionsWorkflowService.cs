using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Aws;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Aws;

/// <summary>
/// The workflow in AWS: executions of the deployed state machine (<see cref="AwsOptions.StateMachineArn"/>). An
/// execution's id is its ARN. Step Functions does not list inputs, so an execution's branch comes from its name
/// when the product named it (<c>&lt;branch&gt;-…</c>) and otherwise from one DescribeExecution, remembered
/// since an input never changes.
/// </summary>
public sealed class StepFunctionsWorkflowService : IWorkflowService
{
    private const int MaxRememberedBranches = 10_000;
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(2);

    private readonly AwsJsonClient _client;
    private readonly string _stateMachineArn;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, string> _branchByArn = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter over a Step Functions client.</summary>
    public StepFunctionsWorkflowService(AwsJsonClient client, IOptions<AwsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _stateMachineArn = options.Value.StateMachineArn;
        _time = time;
    }

    /// <inheritdoc />
    public async Task<ExecutionSummary> StartExecutionAsync(string inputJson, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputJson);
        JsonNode? input;
        try
        {
            input = JsonNode.Parse(inputJson);
        }
        catch (JsonException exception)
        {
            throw new ArgumentException($"The execution input is not JSON: {exception.Message}", nameof(inputJson), exception);
        }

        var branch = WorkflowEvents.BranchOf(input);
        var named = name is not null;
        name ??= $"{branch}-{Guid.NewGuid():N}";
        JsonObject answer;
        try
        {
            answer = await _client.CallAsync(
                "StartExecution",
                new JsonObject { ["stateMachineArn"] = _stateMachineArn, ["name"] = name, ["input"] = inputJson },
                cancellationToken);
        }
        catch (AwsConflictException exception) when (named)
        {
            // Step Functions answers a running execution's name and input with that execution, and refuses a
            // finished one's: the same event has run already, and its execution is the answer.
            return (await DescribeExecutionAsync(ExecutionArnOf(name), cancellationToken))?.Summary
                   ?? throw new ExecutionAlreadyExistsException(name, exception);
        }
        catch (AwsConflictException exception)
        {
            throw new ExecutionAlreadyExistsException(name, exception);
        }

        var arn = AwsJson.Text(answer["executionArn"]) ?? throw new InvalidOperationException("Step Functions started an execution but did not return its ARN.");
        Remember(arn, branch);
        return new ExecutionSummary(arn, name, branch, ExecutionStatus.Running, AwsJson.Timestamp(answer["startDate"]) ?? _time.GetUtcNow(), null);
    }

    /// <inheritdoc />
    public async Task<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var maxResults = Math.Clamp(query.MaxResults, 1, 1000);
        var request = new JsonObject { ["stateMachineArn"] = _stateMachineArn, ["maxResults"] = maxResults };
        if (query.Status is { } status)
        {
            if (status == ExecutionStatus.Other)
            {
                throw new ArgumentException("Step Functions filters runs by the statuses it names; OTHER is not one of them.", nameof(query));
            }

            request["statusFilter"] = JsonSerializer.SerializeToNode(status);
        }

        if (!string.IsNullOrEmpty(query.NextToken))
        {
            request["nextToken"] = query.NextToken;
        }

        var found = new List<ExecutionSummary>();
        string? next = null;
        await foreach (var page in _client.PaginateAsync("ListExecutions", request, "nextToken", cancellationToken))
        {
            var summaries = (page["executions"]?.AsArray() ?? []).OfType<JsonObject>().Select(ReadListItem).ToList();
            await FillBranchesAsync(summaries, cancellationToken);
            found.AddRange(summaries.Select(s => s with { Branch = _branchByArn.GetValueOrDefault(s.ExecutionId, WorkflowEvents.Branches.Unknown) })
                .Where(s => query.Branch is null || s.Branch == query.Branch));
            next = AwsJson.Text(page["nextToken"]);

            // Without a branch filter one page answers; with one, read on until the page is full.
            if (query.Branch is null || found.Count >= maxResults)
            {
                break;
            }
        }

        return new ExecutionPage(found, next);
    }

    /// <inheritdoc />
    public async Task<ExecutionDetail?> DescribeExecutionAsync(string executionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executionId);
        JsonObject answer;
        try
        {
            answer = await _client.CallAsync("DescribeExecution", new JsonObject { ["executionArn"] = executionId }, cancellationToken);
        }
        catch (AwsResourceNotFoundException)
        {
            return null;
        }

        var input = AwsJson.Text(answer["input"]) ?? "{}";
        var branch = BranchOfInput(input);
        Remember(executionId, branch);
        var summary = ReadListItem(answer) with { Branch = branch };
        return new ExecutionDetail(summary, input, AwsJson.Text(answer["output"]), AwsJson.Text(answer["error"]), AwsJson.Text(answer["cause"]));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEvent>> GetExecutionHistoryAsync(string executionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(executionId);
        var events = new List<HistoryEvent>();
        var request = new JsonObject
        {
            ["executionArn"] = executionId,
            ["maxResults"] = 1000,
            ["reverseOrder"] = false,
            ["includeExecutionData"] = true,
        };
        try
        {
            await foreach (var page in _client.PaginateAsync("GetExecutionHistory", request, "nextToken", cancellationToken))
            {
                events.AddRange((page["events"]?.AsArray() ?? []).OfType<JsonObject>().Select(ReadEvent));
            }
        }
        catch (AwsResourceNotFoundException exception)
        {
            throw new ExecutionDoesNotExistException(executionId, exception);
        }

        return events;
    }

    /// <inheritdoc />
    public async Task<ExecutionDetail> WaitForCompletionAsync(string executionId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = _time.GetUtcNow() + timeout;
        var delay = FirstPoll;
        while (true)
        {
            var detail = await DescribeExecutionAsync(executionId, cancellationToken)
                         ?? throw new ExecutionDoesNotExistException(executionId);
            // A run pending redrive is about to run again: it has not ended.
            if (detail.Summary.Status is not (ExecutionStatus.Running or ExecutionStatus.PendingRedrive))
            {
                return detail;
            }

            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Execution '{executionId}' was still running after {timeout.TotalSeconds:0.#} s.");
            }

            await Task.Delay(delay < left ? delay : left, _time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(LongestPoll.Ticks, delay.Ticks * 2));
        }
    }

    /// <summary>The ARN of the execution with this name: <c>arn:…:execution:&lt;state machine&gt;:&lt;name&gt;</c>.</summary>
    public string ExecutionArnOf(string name) =>
        $"{_stateMachineArn.Replace(":stateMachine:", ":execution:", StringComparison.Ordinal)}:{name}";

    /// <summary>Reads one history event; its details sit in the one member named <c>…EventDetails</c>.</summary>
    internal static HistoryEvent ReadEvent(JsonObject item)
    {
        var details = item.FirstOrDefault(p => p.Key.EndsWith("EventDetails", StringComparison.Ordinal)).Value as JsonObject;
        return new HistoryEvent(
            item["id"]?.GetValue<long>() ?? 0,
            item["previousEventId"]?.GetValue<long>() ?? 0,
            AwsJson.Text(item["type"]) ?? string.Empty,
            AwsJson.Timestamp(item["timestamp"]) ?? DateTimeOffset.UnixEpoch,
            AwsJson.Text(details?["name"]) ?? AwsJson.Text(details?["resource"]),
            AwsJson.Text(details?["input"]),
            AwsJson.Text(details?["output"]),
            AwsJson.Text(details?["error"]),
            AwsJson.Text(details?["cause"]));
    }

    private static string BranchOfInput(string input)
    {
        try
        {
            return WorkflowEvents.BranchOf(JsonNode.Parse(input));
        }
        catch (JsonException)
        {
            return WorkflowEvents.Branches.Unknown;
        }
    }

    private static string? BranchOfName(string name)
    {
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && WorkflowEvents.Branches.All.Contains(name[..dash]) ? name[..dash] : null;
    }

    private static ExecutionSummary ReadListItem(JsonObject item)
    {
        var arn = AwsJson.Text(item["executionArn"]) ?? string.Empty;
        var name = AwsJson.Text(item["name"]) ?? arn[(arn.LastIndexOf(':') + 1)..];
        var text = AwsJson.Text(item["status"]);
        var status = text is null ? ExecutionStatus.Running : AwsJson.Enum(text, ExecutionStatus.Other);
        return new ExecutionSummary(
            arn,
            name,
            BranchOfName(name) ?? WorkflowEvents.Branches.Unknown,
            status,
            AwsJson.Timestamp(item["startDate"]) ?? DateTimeOffset.UnixEpoch,
            AwsJson.Timestamp(item["stopDate"]))
        {
            StatusText = status == ExecutionStatus.Other ? text : null,
        };
    }

    private async Task FillBranchesAsync(List<ExecutionSummary> summaries, CancellationToken cancellationToken)
    {
        foreach (var summary in summaries.Where(s => s.Branch != WorkflowEvents.Branches.Unknown))
        {
            Remember(summary.ExecutionId, summary.Branch);
        }

        var unknown = summaries.Where(s => !_branchByArn.ContainsKey(s.ExecutionId)).Select(s => s.ExecutionId).ToList();
        await Parallel.ForEachAsync(
            unknown,
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (arn, token) => await DescribeExecutionAsync(arn, token));
    }

    private void Remember(string arn, string branch)
    {
        if (_branchByArn.Count >= MaxRememberedBranches)
        {
            _branchByArn.Clear();
        }

        _branchByArn[arn] = branch;
    }
}
