using System.Globalization;
using System.Text;
using CustomLabels.Core.Data;
using Microsoft.Data.Sqlite;

namespace CustomLabels.Core.Workflow.Embedded;

/// <summary>An execution as the runner keeps it: its summary fields and where it stands.</summary>
internal sealed class ExecutionRecord
{
    public long Seq { get; set; }

    public required string Id { get; init; }

    public required string Branch { get; init; }

    public ExecutionStatus Status { get; set; } = ExecutionStatus.Running;

    public required string Input { get; init; }

    public string? Output { get; set; }

    public string? Error { get; set; }

    public string? Cause { get; set; }

    public DateTimeOffset StartDate { get; init; }

    public DateTimeOffset? StopDate { get; set; }

    /// <summary>The state the execution is in (entered, not yet left).</summary>
    public string? CurrentState { get; set; }

    /// <summary>That state's raw input (JSON).</summary>
    public string? StateInput { get; set; }

    public DateTimeOffset StateEnteredAt { get; set; }

    /// <summary>Retries of the current state so far.</summary>
    public int Attempt { get; set; }

    /// <summary>When the current Wait state (or retry) ends: the persisted timer.</summary>
    public DateTimeOffset? WakeAt { get; set; }

    public long LastEventId { get; set; }

    public ExecutionSummary ToSummary() => new(Id, Id, Branch, Status, StartDate, StopDate);

    public ExecutionDetail ToDetail() => new(ToSummary(), Input, Output, Error, Cause);

    /// <summary>Adds the next history event.</summary>
    public HistoryEvent NextEvent(
        string type, DateTimeOffset at, string? stateName = null, string? input = null, string? output = null, string? error = null, string? cause = null)
    {
        var id = ++LastEventId;
        return new HistoryEvent(id, id - 1, type, at, stateName, input, output, error, cause);
    }
}

/// <summary>
/// The executions and their histories in the embedded database. Every move of an execution is one transaction:
/// its history events and its new position are written together, so a restart finds it exactly where it was.
/// </summary>
internal sealed class ExecutionStore(SqliteDatabase database)
{
    /// <summary>The workflow's tables.</summary>
    public static ISqliteMigration Migration { get; } = new SqliteMigration("0300-workflow-executions", """
        CREATE TABLE workflow_executions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            branch TEXT NOT NULL,
            status TEXT NOT NULL,
            input TEXT NOT NULL,
            output TEXT,
            error TEXT,
            cause TEXT,
            start_date TEXT NOT NULL,
            stop_date TEXT,
            current_state TEXT,
            state_input TEXT,
            state_entered_at TEXT NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 0,
            wake_at TEXT,
            last_event_id INTEGER NOT NULL);
        CREATE INDEX ix_workflow_executions_status ON workflow_executions (status, seq);
        CREATE INDEX ix_workflow_executions_branch ON workflow_executions (branch, seq);
        CREATE INDEX ix_workflow_executions_branch_status ON workflow_executions (branch, status, seq);
        CREATE TABLE workflow_history (
            execution_seq INTEGER NOT NULL REFERENCES workflow_executions (seq),
            id INTEGER NOT NULL,
            previous_id INTEGER NOT NULL,
            type TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            state_name TEXT,
            input TEXT,
            output TEXT,
            error TEXT,
            cause TEXT,
            PRIMARY KEY (execution_seq, id)) WITHOUT ROWID;
        """);

    private static readonly string[] EventParameterNames = ["$id", "$previous", "$type", "$timestamp", "$state", "$input", "$output", "$error", "$cause"];

    private const string Columns =
        "seq, id, branch, status, input, output, error, cause, start_date, stop_date, current_state, state_input, state_entered_at, attempt, wake_at, last_event_id";

    /// <summary>Inserts a new execution with its first events; returns the existing one instead when the id is taken.</summary>
    public async Task<ExecutionRecord?> InsertAsync(ExecutionRecord record, IReadOnlyList<HistoryEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO workflow_executions (id, branch, status, input, start_date, current_state, state_input, state_entered_at, attempt, last_event_id)
                VALUES ($id, $branch, $status, $input, $start, $state, $stateInput, $entered, 0, $last)
                ON CONFLICT (id) DO NOTHING RETURNING seq;
                """;
            insert.Parameters.AddWithValue("$id", record.Id);
            insert.Parameters.AddWithValue("$branch", record.Branch);
            insert.Parameters.AddWithValue("$status", StatusText(record.Status));
            insert.Parameters.AddWithValue("$input", record.Input);
            insert.Parameters.AddWithValue("$start", SqliteValues.Time(record.StartDate));
            insert.Parameters.AddWithValue("$state", (object?)record.CurrentState ?? DBNull.Value);
            insert.Parameters.AddWithValue("$stateInput", (object?)record.StateInput ?? DBNull.Value);
            insert.Parameters.AddWithValue("$entered", SqliteValues.Time(record.StateEnteredAt));
            insert.Parameters.AddWithValue("$last", record.LastEventId);
            var seq = await insert.ExecuteScalarAsync(cancellationToken);
            if (seq is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                return await GetAsync(connection, record.Id, cancellationToken);
            }

            record.Seq = (long)seq;
        }

        await InsertEventsAsync(connection, transaction, record.Seq, events, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>
    /// Writes an execution's new position and the events that led there, in one transaction, provided it is still
    /// RUNNING in the database.
    /// </summary>
    /// <exception cref="ExecutionNoLongerRunningException">It was stopped meanwhile; nothing was written.</exception>
    public async Task CommitAsync(ExecutionRecord record, IReadOnlyList<HistoryEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE workflow_executions SET status = $status, output = $output, error = $error, cause = $cause, stop_date = $stop,
                    current_state = $state, state_input = $stateInput, state_entered_at = $entered, attempt = $attempt, wake_at = $wake,
                    last_event_id = $last
                WHERE seq = $seq AND status = 'RUNNING';
                """;
            update.Parameters.AddWithValue("$seq", record.Seq);
            update.Parameters.AddWithValue("$status", StatusText(record.Status));
            update.Parameters.AddWithValue("$output", (object?)record.Output ?? DBNull.Value);
            update.Parameters.AddWithValue("$error", (object?)record.Error ?? DBNull.Value);
            update.Parameters.AddWithValue("$cause", (object?)record.Cause ?? DBNull.Value);
            update.Parameters.AddWithValue("$stop", record.StopDate is { } stop ? SqliteValues.Time(stop) : DBNull.Value);
            update.Parameters.AddWithValue("$state", (object?)record.CurrentState ?? DBNull.Value);
            update.Parameters.AddWithValue("$stateInput", (object?)record.StateInput ?? DBNull.Value);
            update.Parameters.AddWithValue("$entered", SqliteValues.Time(record.StateEnteredAt));
            update.Parameters.AddWithValue("$attempt", record.Attempt);
            update.Parameters.AddWithValue("$wake", record.WakeAt is { } wake ? SqliteValues.Time(wake) : DBNull.Value);
            update.Parameters.AddWithValue("$last", record.LastEventId);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                throw new ExecutionNoLongerRunningException(record.Id);
            }
        }

        await InsertEventsAsync(connection, transaction, record.Seq, events, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Ends a RUNNING execution as ABORTED with an ExecutionAborted event; returns false when it was not running.
    /// </summary>
    public async Task<bool> AbortAsync(string id, string? error, string? cause, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var record = await GetAsync(connection, id, cancellationToken);
        if (record is null || record.Status != ExecutionStatus.Running)
        {
            return false;
        }

        var aborted = record.NextEvent("ExecutionAborted", at, error: error, cause: cause);
        await using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE workflow_executions SET status = 'ABORTED', stop_date = $stop, error = $error, cause = $cause,
                    current_state = NULL, state_input = NULL, wake_at = NULL, last_event_id = $last
                WHERE seq = $seq;
                """;
            update.Parameters.AddWithValue("$seq", record.Seq);
            update.Parameters.AddWithValue("$stop", SqliteValues.Time(at));
            update.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            update.Parameters.AddWithValue("$cause", (object?)cause ?? DBNull.Value);
            update.Parameters.AddWithValue("$last", record.LastEventId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertEventsAsync(connection, transaction, record.Seq, [aborted], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>One execution, or null.</summary>
    public async Task<ExecutionRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await GetAsync(connection, id, cancellationToken);
    }

    /// <summary>The ids of the executions still RUNNING, oldest first.</summary>
    public async Task<IReadOnlyList<string>> GetRunningIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM workflow_executions WHERE status = 'RUNNING' ORDER BY seq;";
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>A page of executions, newest first, read through the (status, branch, seq) indexes.</summary>
    public async Task<ExecutionPage> ListAsync(ExecutionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.MaxResults, 1, nameof(query.MaxResults));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.MaxResults, 1000, nameof(query.MaxResults));
        var before = query.NextToken is null ? (long?)null : DecodeToken(query.NextToken);

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var conditions = new List<string>();
        if (query.Status is { } status)
        {
            conditions.Add("status = $status");
            command.Parameters.AddWithValue("$status", StatusText(status));
        }

        if (query.Branch is { } branch)
        {
            conditions.Add("branch = $branch");
            command.Parameters.AddWithValue("$branch", branch);
        }

        if (before is { } seq)
        {
            conditions.Add("seq < $before");
            command.Parameters.AddWithValue("$before", seq);
        }

        command.CommandText = "SELECT seq, id, branch, status, start_date, stop_date FROM workflow_executions"
            + (conditions.Count > 0 ? " WHERE " + string.Join(" AND ", conditions) : string.Empty)
            + " ORDER BY seq DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", query.MaxResults + 1);
        var page = new List<ExecutionSummary>(query.MaxResults);
        long lastSeq = 0;
        var more = false;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (page.Count == query.MaxResults)
                {
                    more = true;
                    break;
                }

                lastSeq = reader.GetInt64(0);
                var id = reader.GetString(1);
                page.Add(new ExecutionSummary(
                    id, id, reader.GetString(2), ParseStatus(reader.GetString(3)), SqliteValues.ParseTime(reader.GetString(4)), reader.TextOrNull(5) is { } stop ? SqliteValues.ParseTime(stop) : null));
            }
        }

        return new ExecutionPage(page, more ? EncodeToken(lastSeq) : null);
    }

    /// <summary>An execution's history, oldest first; null when there is no such execution.</summary>
    public async Task<IReadOnlyList<HistoryEvent>?> GetHistoryAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var record = await GetAsync(connection, id, cancellationToken);
        if (record is null)
        {
            return null;
        }

        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, previous_id, type, timestamp, state_name, input, output, error, cause
            FROM workflow_history WHERE execution_seq = $seq ORDER BY id;
            """;
        command.Parameters.AddWithValue("$seq", record.Seq);
        var events = new List<HistoryEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new HistoryEvent(
                reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), SqliteValues.ParseTime(reader.GetString(3)),
                reader.TextOrNull(4), reader.TextOrNull(5), reader.TextOrNull(6), reader.TextOrNull(7), reader.TextOrNull(8)));
        }

        return events;
    }

    internal static string StatusText(ExecutionStatus status) => status switch
    {
        ExecutionStatus.Running => "RUNNING",
        ExecutionStatus.Succeeded => "SUCCEEDED",
        ExecutionStatus.Failed => "FAILED",
        ExecutionStatus.TimedOut => "TIMED_OUT",
        ExecutionStatus.Aborted => "ABORTED",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    private static ExecutionStatus ParseStatus(string text) => text switch
    {
        "RUNNING" => ExecutionStatus.Running,
        "SUCCEEDED" => ExecutionStatus.Succeeded,
        "FAILED" => ExecutionStatus.Failed,
        "TIMED_OUT" => ExecutionStatus.TimedOut,
        _ => ExecutionStatus.Aborted,
    };

    private static async Task<ExecutionRecord?> GetAsync(SqliteConnection connection, string id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM workflow_executions WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static ExecutionRecord Read(SqliteDataReader reader) => new()
    {
        Seq = reader.GetInt64(0),
        Id = reader.GetString(1),
        Branch = reader.GetString(2),
        Status = ParseStatus(reader.GetString(3)),
        Input = reader.GetString(4),
        Output = reader.TextOrNull(5),
        Error = reader.TextOrNull(6),
        Cause = reader.TextOrNull(7),
        StartDate = SqliteValues.ParseTime(reader.GetString(8)),
        StopDate = reader.TextOrNull(9) is { } stop ? SqliteValues.ParseTime(stop) : null,
        CurrentState = reader.TextOrNull(10),
        StateInput = reader.TextOrNull(11),
        StateEnteredAt = SqliteValues.ParseTime(reader.GetString(12)),
        Attempt = reader.GetInt32(13),
        WakeAt = reader.TextOrNull(14) is { } wake ? SqliteValues.ParseTime(wake) : null,
        LastEventId = reader.GetInt64(15),
    };

    private static async Task InsertEventsAsync(
        SqliteConnection connection, SqliteTransaction transaction, long seq, IReadOnlyList<HistoryEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO workflow_history (execution_seq, id, previous_id, type, timestamp, state_name, input, output, error, cause)
            VALUES ($seq, $id, $previous, $type, $timestamp, $state, $input, $output, $error, $cause);
            """;
        var parameters = EventParameterNames.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        command.Parameters.AddWithValue("$seq", seq);
        foreach (var e in events)
        {
            parameters[0].Value = e.Id;
            parameters[1].Value = e.PreviousEventId;
            parameters[2].Value = e.Type;
            parameters[3].Value = SqliteValues.Time(e.Timestamp);
            parameters[4].Value = (object?)e.StateName ?? DBNull.Value;
            parameters[5].Value = (object?)e.Input ?? DBNull.Value;
            parameters[6].Value = (object?)e.Output ?? DBNull.Value;
            parameters[7].Value = (object?)e.Error ?? DBNull.Value;
            parameters[8].Value = (object?)e.Cause ?? DBNull.Value;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static string EncodeToken(long seq) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"before:{seq.ToString(CultureInfo.InvariantCulture)}"));

    private static long DecodeToken(string token) => PageToken.Decode(token, "before:");
}

/// <summary>The execution was stopped (aborted) while the runner was moving it; the move was not written.</summary>
internal sealed class ExecutionNoLongerRunningException(string executionId)
    : InvalidOperationException($"The execution '{executionId}' is no longer running.");
