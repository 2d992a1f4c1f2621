using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CustomLabels.Core.Workflow.Embedded.Definition;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Embedded;

/// <summary>
/// The embedded Step Functions: interprets the Amazon States Language definition with SQLite history. The
/// definition is read and checked when the host starts (a bad one stops the start, naming its states); executions
/// left RUNNING by the previous process resume then. Each move from one state to the next is one transaction, and a
/// Task's completion is written in the same transaction as the move, so a completed task never runs again.
/// </summary>
internal sealed partial class EmbeddedWorkflowService : IWorkflowService, IHostedService, IDisposable
{
    private const int MaxRedrives = 3;

    private static readonly JsonSerializerOptions CompactJson = new() { WriteIndented = false };

    private readonly ExecutionStore _store;
    private readonly IServiceProvider _services;
    private readonly WorkflowOptions _options;
    private readonly PipelineEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger<EmbeddedWorkflowService> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Task> _drives = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _aborts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _redrives = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _completions = new(StringComparer.Ordinal);
    private StateMachineDefinition? _definition;
    private bool _started;
    private int _disposed;

    public EmbeddedWorkflowService(
        ExecutionStore store,
        IServiceProvider services,
        IOptions<WorkflowOptions> options,
        PipelineEvents events,
        TimeProvider time,
        ILogger<EmbeddedWorkflowService> logger)
    {
        _store = store;
        _options = options.Value;
        _events = events;
        _time = time;
        _logger = logger;
        _services = services;
        _slots = new SemaphoreSlim(_options.MaxConcurrentExecutions, _options.MaxConcurrentExecutions);
    }

    /// <summary>The checked definition; read from the configured file on first use.</summary>
    /// <exception cref="WorkflowDefinitionException">The definition is not valid.</exception>
    public StateMachineDefinition Definition
    {
        get
        {
            lock (_lock)
            {
                return _definition ??= Load();
            }
        }
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Definition;
        lock (_lock)
        {
            _started = true;
        }

        var running = await _store.GetRunningIdsAsync(cancellationToken);
        if (running.Count > 0)
        {
            LogResuming(_logger, running.Count);
        }

        foreach (var id in running)
        {
            Drive(id);
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        Task[] drives;
        lock (_lock)
        {
            _started = false;
            drives = [.. _drives.Values];
        }

        await Task.WhenAll(drives).WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Registered under three service types, so the container may dispose it more than once.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _stopping.Dispose();
            _slots.Dispose();
        }
    }

    /// <inheritdoc />
    public async Task<ExecutionSummary> StartExecutionAsync(string inputJson, string? name = null, CancellationToken cancellationToken = default)
    {
        JsonNode? input;
        try
        {
            input = JsonNode.Parse(string.IsNullOrWhiteSpace(inputJson) ? "{}" : inputJson);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The execution input is not valid JSON: {e.Message}", nameof(inputJson), e);
        }

        name ??= Guid.NewGuid().ToString("N");
        if (!NamePattern().IsMatch(name))
        {
            throw new ArgumentException("An execution name is 1 to 80 letters, digits, '-' and '_'.", nameof(name));
        }

        var definition = Definition;
        var now = _time.GetUtcNow();
        var text = Serialize(input);
        var record = new ExecutionRecord
        {
            Id = name,
            Branch = WorkflowEvents.BranchOf(input),
            Input = text,
            StartDate = now,
            CurrentState = definition.StartAt,
            StateInput = text,
            StateEnteredAt = now,
        };
        var events = new[]
        {
            record.NextEvent("ExecutionStarted", now, input: text),
            record.NextEvent($"{definition.States[definition.StartAt].Type}StateEntered", now, definition.StartAt, input: text),
        };

        var existing = await _store.InsertAsync(record, events, cancellationToken);
        if (existing is not null)
        {
            // As in Step Functions, starting again with the same name and input is not an error: it is the same execution.
            return existing.Input == text ? existing.ToSummary() : throw new ExecutionAlreadyExistsException(name);
        }

        LogStarted(_logger, record.Id, record.Branch);
        _events.Publish(new PipelineEvent(PipelineEventKind.Execution, record.Id));
        Drive(record.Id);
        return record.ToSummary();
    }

    /// <inheritdoc />
    public Task<ExecutionPage> ListExecutionsAsync(ExecutionQuery query, CancellationToken cancellationToken = default) =>
        _store.ListAsync(query, cancellationToken);

    /// <inheritdoc />
    public async Task<ExecutionDetail?> DescribeExecutionAsync(string executionId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(executionId, cancellationToken))?.ToDetail();

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEvent>> GetExecutionHistoryAsync(string executionId, CancellationToken cancellationToken = default) =>
        await _store.GetHistoryAsync(executionId, cancellationToken) ?? throw new ExecutionDoesNotExistException(executionId);

    /// <inheritdoc />
    public async Task<ExecutionDetail> WaitForCompletionAsync(string executionId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // Register before reading, so that an end between the read and the wait is not missed.
        var completion = _completions.GetOrAdd(executionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var record = await _store.GetAsync(executionId, cancellationToken) ?? throw new ExecutionDoesNotExistException(executionId);
        if (record.Status == ExecutionStatus.Running)
        {
            try
            {
                await completion.Task.WaitAsync(timeout, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"The execution '{executionId}' was still running after {timeout}.");
            }

            record = await _store.GetAsync(executionId, cancellationToken) ?? throw new ExecutionDoesNotExistException(executionId);
        }

        return record.ToDetail();
    }

    /// <summary>
    /// Stops a RUNNING execution (Step Functions' StopExecution): it ends ABORTED with an ExecutionAborted event, and a
    /// task it is running is cancelled. An execution that has already ended is described as it is.
    /// </summary>
    /// <exception cref="ExecutionDoesNotExistException">No execution has this id.</exception>
    public async Task<ExecutionDetail> StopExecutionAsync(string executionId, string? error = null, string? cause = null, CancellationToken cancellationToken = default)
    {
        if (await _store.AbortAsync(executionId, error, cause, _time.GetUtcNow(), cancellationToken))
        {
            if (_aborts.TryGetValue(executionId, out var abort))
            {
                await abort.CancelAsync();
            }

            _events.Publish(new PipelineEvent(PipelineEventKind.Execution, executionId));
            if (_completions.TryRemove(executionId, out var completion))
            {
                completion.TrySetResult();
            }
        }

        return (await _store.GetAsync(executionId, cancellationToken))?.ToDetail() ?? throw new ExecutionDoesNotExistException(executionId);
    }

    private StateMachineDefinition Load()
    {
        var path = _options.DefinitionFullPath;
        if (!File.Exists(path))
        {
            throw new WorkflowDefinitionException(path, [$"the file does not exist (set {WorkflowOptions.SectionName}:{nameof(WorkflowOptions.DefinitionPath)})"]);
        }

        if (new FileInfo(path).Length > DefinitionParser.MaxDefinitionBytes)
        {
            throw new WorkflowDefinitionException(path, [$"the definition is larger than {DefinitionParser.MaxDefinitionBytes / 1024} KiB"]);
        }

        // Handlers are resolved here rather than injected: a handler may itself need the workflow or the schedules
        // (which start executions), and taking them in the constructor would make that a dependency cycle.
        var handlers = new Dictionary<string, ITaskHandler>(StringComparer.Ordinal);
        foreach (var handler in _services.GetServices<ITaskHandler>())
        {
            if (!handlers.TryAdd(handler.Name, handler))
            {
                throw new InvalidOperationException($"Two task handlers are named '{handler.Name}'.");
            }
        }

        var definition = DefinitionParser.Parse(File.ReadAllText(path), path, handlers);
        LogDefinitionLoaded(_logger, path, definition.States.Count);
        return definition;
    }

    private void Drive(string id)
    {
        lock (_lock)
        {
            if (!_started || _drives.ContainsKey(id))
            {
                return;
            }

            _drives[id] = Task.Run(() => DriveAsync(id));
        }
    }

    private async Task DriveAsync(string id)
    {
        var stopping = _stopping.Token;
        var holding = false;
        ExecutionRecord? record = null;
        using var abort = new CancellationTokenSource();
        _aborts[id] = abort;
        try
        {
            await _slots.WaitAsync(stopping);
            holding = true;
            record = await _store.GetAsync(id, stopping);
            if (record is null || record.Status != ExecutionStatus.Running)
            {
                return;
            }

            var definition = Definition;
            using var deadline = definition.TimeoutSeconds is { } limit
                ? new CancellationTokenSource(Remaining(record.StartDate + Scale(limit)), _time)
                : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token, abort.Token);
            var step = new Step(this, record, definition, () => holding = false, () => holding = true, linked.Token);
            try
            {
                while (record.Status == ExecutionStatus.Running)
                {
                    if (record.LastEventId >= _options.MaxHistoryEvents)
                    {
                        // A loop that never takes its way out ends here, as in Step Functions.
                        var cause = $"The execution's history reached {_options.MaxHistoryEvents} events.";
                        await EndAsync(record, ExecutionStatus.Failed, [record.NextEvent("ExecutionFailed", _time.GetUtcNow(), error: StatesErrors.Runtime, cause: cause)], null, StatesErrors.Runtime, cause, linked.Token);
                        break;
                    }

                    await step.RunAsync();
                }

                _redrives.TryRemove(id, out _);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stopping.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                await EndAsync(record, ExecutionStatus.TimedOut, [record.NextEvent("ExecutionTimedOut", now, error: StatesErrors.Timeout)], null, StatesErrors.Timeout, "The execution ran longer than the definition's TimeoutSeconds.", CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the execution stays RUNNING where its last transaction left it and resumes at the next start.
        }
        catch (Exception e) when (e is ExecutionNoLongerRunningException || (e is OperationCanceledException && abort.IsCancellationRequested))
        {
            // Stopped by StopExecutionAsync, which wrote its end.
        }
#pragma warning disable CA1031 // A broken execution must not take the runner down; it stays RUNNING and resumes at the next start.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A database that stays busy, or a disk that is full for a while: try again a few times, later and later;
            // beyond that the execution stays RUNNING where it was and resumes at the next start.
            var tries = _redrives.AddOrUpdate(id, 1, (_, n) => n + 1);
            LogDriveFailed(_logger, id, tries, e);
            if (tries <= MaxRedrives)
            {
                _ = RedriveLaterAsync(id, TimeSpan.FromSeconds(Math.Pow(5, tries - 1)));
            }
        }
        finally
        {
            if (holding)
            {
                _slots.Release();
            }

            _aborts.TryRemove(new KeyValuePair<string, CancellationTokenSource>(id, abort));
            lock (_lock)
            {
                _drives.Remove(id);
            }

            if (record is not null && record.Status != ExecutionStatus.Running && _completions.TryRemove(id, out var completion))
            {
                completion.TrySetResult();
            }
        }
    }

    private async Task RedriveLaterAsync(string id, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stopping.Token);
            Drive(id);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // stopping: the next start resumes it
        }
    }

    private async Task EndAsync(
        ExecutionRecord record, ExecutionStatus status, List<HistoryEvent> events, string? output, string? error, string? cause, CancellationToken cancellationToken)
    {
        record.Status = status;
        record.StopDate = events[^1].Timestamp;
        record.Output = output;
        record.Error = error;
        record.Cause = cause;
        record.CurrentState = null;
        record.StateInput = null;
        record.WakeAt = null;
        await _store.CommitAsync(record, events, cancellationToken);
        LogEnded(_logger, record.Id, status);
        _events.Publish(new PipelineEvent(PipelineEventKind.Execution, record.Id));
    }

    private TimeSpan Scale(double seconds) => TimeSpan.FromSeconds(seconds * _options.TimeScale);

    private TimeSpan Remaining(DateTimeOffset until)
    {
        var left = until - _time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static string Serialize(JsonNode? node) => node?.ToJsonString(CompactJson) ?? "null";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,80}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow definition {Path} loaded with {Count} states")]
    private static partial void LogDefinitionLoaded(ILogger logger, string path, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming {Count} executions that were running when the process stopped")]
    private static partial void LogResuming(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Execution {ExecutionId} started on branch {Branch}")]
    private static partial void LogStarted(ILogger logger, string executionId, string branch);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Execution {ExecutionId} ended {Status}")]
    private static partial void LogEnded(ILogger logger, string executionId, ExecutionStatus status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Execution {ExecutionId} stopped on an unexpected error (time {Tries}); it is resumed shortly, or at the next start")]
    private static partial void LogDriveFailed(ILogger logger, string executionId, int tries, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId}: task {StateName} failed with {Error} (attempt {Attempt})")]
    private static partial void LogTaskFailed(ILogger logger, string executionId, string stateName, string error, int attempt);

    /// <summary>Runs one state of one execution and commits where it leads.</summary>
    private sealed class Step(
        EmbeddedWorkflowService owner,
        ExecutionRecord record,
        StateMachineDefinition definition,
        Action released,
        Action acquired,
        CancellationToken cancellationToken)
    {
        private readonly TimeProvider _time = owner._time;

        public async Task RunAsync()
        {
            if (record.CurrentState is not { } name || !definition.States.TryGetValue(name, out var state))
            {
                await FailAsync([], StatesErrors.Runtime, $"The execution is in the state '{record.CurrentState}', which the definition does not have.");
                return;
            }

            var raw = JsonNode.Parse(record.StateInput ?? "null");
            var context = Context(state);
            try
            {
                var input = state.InputPath is null ? new JsonObject() : state.InputPath.Select(raw, context, "InputPath");
                switch (state.Type)
                {
                    case StateType.Pass:
                        var passResult = state.HasResult ? state.Result?.DeepClone() : state.Parameters?.Apply(input, context) ?? input;
                        await MoveAsync(state, [], Output(state, raw, passResult, context));
                        break;
                    case StateType.Task:
                        await TaskAsync(state, raw, input, context);
                        break;
                    case StateType.Choice:
                        var target = state.Choices.FirstOrDefault(c => c.Rule.Evaluate(input, context)).Next ?? state.Default
                            ?? throw new StatesErrorException(StatesErrors.NoChoiceMatched, $"No Choice rule of '{state.Name}' matched and it has no Default.");
                        await MoveAsync(state, [], Filter(state.OutputPath, input, context), target);
                        break;
                    case StateType.Wait:
                        await WaitAsync(state, input, context);
                        break;
                    case StateType.Succeed:
                        var output = Filter(state.OutputPath, input, context);
                        var now = _time.GetUtcNow();
                        var text = Serialize(output);
                        await owner.EndAsync(record, ExecutionStatus.Succeeded, [record.NextEvent("SucceedStateExited", now, state.Name, output: text), record.NextEvent("ExecutionSucceeded", now, output: text)], text, null, null, cancellationToken);
                        break;
                    case StateType.Fail:
                        var error = state.ErrorPath is null ? state.Error : Text(state.ErrorPath.Select(input, context, "ErrorPath"));
                        var cause = state.CausePath is null ? state.Cause : Text(state.CausePath.Select(input, context, "CausePath"));
                        await FailAsync([], error, cause);
                        break;
                }
            }
            catch (StatesErrorException e)
            {
                await FailAsync([], e.Error, e.Message);
            }
        }

        private async Task TaskAsync(State state, JsonNode? raw, JsonNode? input, JsonObject context)
        {
            if (record.WakeAt is not null)
            {
                // A retry's interval that a restart interrupted: its timer was persisted with the failure.
                await SleepUntilWakeAsync();
                record.WakeAt = null;
            }

            var effective = state.Parameters?.Apply(input, context) ?? input;
            var effectiveText = Serialize(effective);
            var now = _time.GetUtcNow();
            await CommitAsync(record, [
                record.NextEvent("TaskScheduled", now, state.Name, input: effectiveText),
                record.NextEvent("TaskStarted", now, state.Name),
            ], cancellationToken);

            string? error = null, cause = null;
            JsonNode? result = null;
            try
            {
                result = await InvokeAsync(state, effective);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (StatesErrorException e)
            {
                (error, cause) = (e.Error, e.Message);
            }
            catch (WorkflowTaskException e)
            {
                (error, cause) = (e.Error, e.Message);
            }
#pragma warning disable CA1031 // Any handler failure becomes a task error that Retry and Catch can match.
            catch (Exception e)
#pragma warning restore CA1031
            {
                (error, cause) = (e.GetType().Name, e.Message);
            }

            if (error is null)
            {
                // Completion and the move to the next state are one transaction: a completed task never runs again.
                var selected = state.ResultSelector?.Apply(result, context) ?? result;
                var output = Output(state, raw, selected, context);
                await MoveAsync(state, [record.NextEvent("TaskSucceeded", _time.GetUtcNow(), state.Name, output: Serialize(result))], output);
                return;
            }

            LogTaskFailed(owner._logger, record.Id, state.Name, error, record.Attempt + 1);
            var failed = record.NextEvent("TaskFailed", _time.GetUtcNow(), state.Name, error: error, cause: cause);
            var retrier = state.Retry.FirstOrDefault(r => r.ErrorEquals.Any(p => StatesErrors.Matches(p, error)));
            if (retrier is not null && record.Attempt < retrier.MaxAttempts)
            {
                record.Attempt++;
                record.WakeAt = _time.GetUtcNow() + retrier.DelayBefore(record.Attempt) * owner._options.TimeScale;
                await CommitAsync(record, [failed], cancellationToken);
                await SleepUntilWakeAsync();
                record.WakeAt = null;
                return;
            }

            var catcher = state.Catch.FirstOrDefault(c => c.ErrorEquals.Any(p => StatesErrors.Matches(p, error)));
            if (catcher is null)
            {
                await FailAsync([failed], error, cause);
                return;
            }

            var errorOutput = new JsonObject { ["Error"] = error, ["Cause"] = cause };
            var caughtOutput = catcher.ResultPath is null ? raw : catcher.ResultPath.Place(raw, errorOutput);
            await MoveAsync(state, [failed], caughtOutput, catcher.Next);
        }

        private async Task<JsonNode?> InvokeAsync(State state, JsonNode? input)
        {
            using var timeout = state.TimeoutSeconds is { } seconds ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds), _time) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            // The definition's Parameters carry the context (as Lambda needs them to); a Task without them gets the runner's own.
            var (handlerInput, carried) = TaskEnvelope.Unwrap(input);
            var context = carried ?? new TaskContext(record.Id, state.Name, record.Attempt + 1);
            try
            {
                return await state.Handler!.InvokeAsync(handlerInput?.DeepClone(), context, linked.Token).WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new StatesErrorException(StatesErrors.Timeout, $"The task '{state.Name}' ran longer than {state.TimeoutSeconds} seconds.");
            }
        }

        private async Task WaitAsync(State state, JsonNode? input, JsonObject context)
        {
            if (record.WakeAt is null)
            {
                var now = _time.GetUtcNow();
                var until = state switch
                {
                    { Seconds: { } s } => now + owner.Scale(s),
                    { SecondsPath: { } p } => now + owner.Scale(Seconds(p.Select(input, context, "SecondsPath"), p)),
                    { Timestamp: { } t } => now + ((t - now) * owner._options.TimeScale),
                    { TimestampPath: { } p } => now + ((Timestamp(p.Select(input, context, "TimestampPath"), p) - now) * owner._options.TimeScale),
                    _ => now,
                };
                record.WakeAt = until;
                await CommitAsync(record, [], cancellationToken);
            }

            await SleepUntilWakeAsync();
            await MoveAsync(state, [], Filter(state.OutputPath, input, context));
        }

        /// <summary>Sleeps until the persisted timer, without holding a concurrency slot.</summary>
        private async Task SleepUntilWakeAsync()
        {
            var delay = owner.Remaining(record.WakeAt!.Value);
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            owner._slots.Release();
            released();
            await Task.Delay(delay, _time, cancellationToken);
            await owner._slots.WaitAsync(cancellationToken);
            acquired();
        }

        private async Task MoveAsync(State state, List<HistoryEvent> events, JsonNode? output, string? next = null)
        {
            var now = _time.GetUtcNow();
            var text = Serialize(output);
            next ??= state.Next;
            events.Add(record.NextEvent($"{state.Type}StateExited", now, state.Name, output: text));
            if (next is null)
            {
                events.Add(record.NextEvent("ExecutionSucceeded", now, output: text));
                await owner.EndAsync(record, ExecutionStatus.Succeeded, events, text, null, null, cancellationToken);
                return;
            }

            events.Add(record.NextEvent($"{definition.States[next].Type}StateEntered", now, next, input: text));
            record.CurrentState = next;
            record.StateInput = text;
            record.StateEnteredAt = now;
            record.Attempt = 0;
            record.WakeAt = null;
            await CommitAsync(record, events, cancellationToken);
        }

        /// <summary>Writes where the execution now stands and tells live views.</summary>
        private async Task CommitAsync(ExecutionRecord changed, IReadOnlyList<HistoryEvent> events, CancellationToken token)
        {
            await owner._store.CommitAsync(changed, events, token);
            owner._events.Publish(new PipelineEvent(PipelineEventKind.Execution, changed.Id));
        }

        private Task FailAsync(List<HistoryEvent> events, string? error, string? cause)
        {
            events.Add(record.NextEvent("ExecutionFailed", _time.GetUtcNow(), error: error, cause: cause));
            return owner.EndAsync(record, ExecutionStatus.Failed, events, null, error, cause, cancellationToken);
        }

        private static JsonNode? Output(State state, JsonNode? raw, JsonNode? result, JsonObject context)
        {
            var combined = state.ResultPath is null ? raw : state.ResultPath.Place(raw, result);
            return Filter(state.OutputPath, combined, context);
        }

        private static JsonNode? Filter(JsonPath? path, JsonNode? value, JsonObject context) =>
            path is null ? new JsonObject() : path.IsRoot ? value : path.Select(value, context, "OutputPath");

        private JsonObject Context(State state) => new()
        {
            ["Execution"] = new JsonObject
            {
                ["Id"] = record.Id,
                ["Name"] = record.Id,
                ["StartTime"] = record.StartDate.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["Input"] = JsonNode.Parse(record.Input),
            },
            ["State"] = new JsonObject
            {
                ["Name"] = state.Name,
                ["EnteredTime"] = record.StateEnteredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["RetryCount"] = record.Attempt,
            },
            ["StateMachine"] = new JsonObject { ["Id"] = "embedded", ["Name"] = "CustomLabels" },
        };

        private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString();

        private static double Seconds(JsonNode? node, JsonPath path) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.GetValue<double>() is >= 0 and var s
                ? s
                : throw new StatesErrorException(StatesErrors.Runtime, $"The SecondsPath '{path.Text}' does not hold a number of at least 0.");

        private static DateTimeOffset Timestamp(JsonNode? node, JsonPath path) =>
            node is JsonValue v && v.TryGetValue<string>(out var s)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? t
                : throw new StatesErrorException(StatesErrors.Runtime, $"The TimestampPath '{path.Text}' does not hold an RFC 3339 timestamp.");
    }
}
