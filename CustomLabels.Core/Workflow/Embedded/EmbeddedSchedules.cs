using System.Threading.Channels;
using CustomLabels.Core.Data;
using CustomLabels.Core.Parameters;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Embedded;

/// <summary>
/// The training and sampling schedules, as persisted timers: each schedule's period and next run are stored, so a
/// restart neither loses nor repeats a firing (a firing that fell due while the process was down fires once at
/// start). Each firing starts an execution with <see cref="WorkflowEvents.Scheduled"/>, named by the schedule and
/// its due time, so a firing interrupted by a crash starts the same execution again rather than a second one.
/// </summary>
internal sealed partial class EmbeddedSchedules(
    SqliteDatabase database,
    IParameterStore parameters,
    IWorkflowService workflow,
    IOptions<WorkflowOptions> options,
    TimeProvider time,
    ILogger<EmbeddedSchedules> logger) : BackgroundService, ISchedules
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>The schedules' table.</summary>
    public static ISqliteMigration Migration { get; } = new SqliteMigration("0310-workflow-schedules", """
        CREATE TABLE workflow_schedules (
            name TEXT PRIMARY KEY,
            enabled INTEGER NOT NULL,
            period_ms INTEGER NOT NULL,
            next_run TEXT,
            last_run TEXT);
        """);

    /// <inheritdoc />
    public async Task RearmAsync(CancellationToken cancellationToken = default)
    {
        await ApplySettingsAsync(cancellationToken);
        _wake.Writer.TryWrite(true);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduleState>> DescribeAsync(CancellationToken cancellationToken = default)
    {
        var rows = await ReadAsync(cancellationToken);
        if (rows.Count < 2)
        {
            await ApplySettingsAsync(cancellationToken);
            rows = await ReadAsync(cancellationToken);
        }

        return [.. rows.Values.OrderByDescending(r => r.Name == WorkflowEvents.Branches.Training)
            .Select(row => new ScheduleState(row.Name, row.Enabled, row.Period, row.Enabled ? row.NextRun : null, row.LastRun))];
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _lock.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ApplySettingsAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan? sleep;
            try
            {
                sleep = await FireDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed firing is retried shortly; the schedules must keep running.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogFiringFailed(logger, e);
                sleep = TimeSpan.FromSeconds(1);
            }

            using var wakeOrSleep = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var woken = _wake.Reader.WaitToReadAsync(wakeOrSleep.Token).AsTask();
            var delay = sleep is { } d ? Task.Delay(d, time, wakeOrSleep.Token) : Task.Delay(Timeout.Infinite, wakeOrSleep.Token);
            await Task.WhenAny(woken, delay);
            await wakeOrSleep.CancelAsync();
            _wake.Reader.TryRead(out _);
        }
    }

    /// <summary>Fires every schedule that is due and returns how long until the next one.</summary>
    private async Task<TimeSpan?> FireDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var row in (await ReadAsync(cancellationToken)).Values.Where(r => r.Enabled && r.NextRun <= now))
        {
            var due = row.NextRun!.Value;
            var input = WorkflowEvents.Scheduled(row.Name).ToJsonString();
            await workflow.StartExecutionAsync(input, ExecutionNames.ForSchedule(row.Name, due), cancellationToken);
            LogFired(logger, row.Name, due);

            var next = due + row.Period;
            await _lock.WaitAsync(cancellationToken);
            try
            {
                await WriteAsync(row with { NextRun = next > now ? next : now + row.Period, LastRun = now }, onlyIfNextRun: due, cancellationToken);
            }
            finally
            {
                _lock.Release();
            }
        }

        var upcoming = (await ReadAsync(cancellationToken)).Values.Where(r => r.Enabled && r.NextRun is not null).Select(r => r.NextRun!.Value).ToList();
        return upcoming.Count == 0 ? null : Max(upcoming.Min() - time.GetUtcNow(), TimeSpan.Zero);
    }

    private async Task ApplySettingsAsync(CancellationToken cancellationToken)
    {
        // One at a time, from reading the parameters to writing the rows, so that an older read never wins.
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await ApplyLockedAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task ApplyLockedAsync(CancellationToken cancellationToken)
    {
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        var rows = await ReadAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var wanted in Wanted(settings))
        {
            var row = rows.GetValueOrDefault(wanted.Name);
            if (row is not null && row.Enabled == wanted.Enabled && row.Period == wanted.Period && (row.NextRun is not null || !wanted.Enabled))
            {
                continue; // unchanged: keep the persisted next run
            }

            await WriteAsync(wanted with { NextRun = wanted.Enabled ? now + wanted.Period : null, LastRun = row?.LastRun }, onlyIfNextRun: null, cancellationToken);
            LogArmed(logger, wanted.Name, wanted.Enabled, wanted.Period);
        }
    }

    private IEnumerable<Row> Wanted(PipelineSettings settings)
    {
        var minute = TimeSpan.FromSeconds(options.Value.ScheduleMinuteSeconds);
        yield return new Row(WorkflowEvents.Branches.Training, settings.EnableAutomaticTraining, minute * settings.AutomaticTrainingPollFrequencyMinutes, null, null);
        yield return new Row(WorkflowEvents.Branches.Sampling, settings.EnableAutomaticHumanSampling, minute * settings.AutomaticHumanSamplingFrequencyMinutes, null, null);
    }

    private async Task<Dictionary<string, Row>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, enabled, period_ms, next_run, last_run FROM workflow_schedules;";
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetString(0)] = new Row(
                reader.GetString(0), reader.GetInt64(1) != 0, TimeSpan.FromMilliseconds(reader.GetInt64(2)),
                reader.IsDBNull(3) ? null : SqliteValues.ParseTime(reader.GetString(3)), reader.IsDBNull(4) ? null : SqliteValues.ParseTime(reader.GetString(4)));
        }

        return rows;
    }

    /// <summary>Writes a schedule; with <paramref name="onlyIfNextRun"/>, only when no re-arm moved it meanwhile.</summary>
    private async Task WriteAsync(Row row, DateTimeOffset? onlyIfNextRun, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = onlyIfNextRun is null
            ? """
              INSERT INTO workflow_schedules (name, enabled, period_ms, next_run, last_run) VALUES ($name, $enabled, $period, $next, $last)
              ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, period_ms = excluded.period_ms, next_run = excluded.next_run, last_run = excluded.last_run;
              """
            : "UPDATE workflow_schedules SET next_run = $next, last_run = $last WHERE name = $name AND next_run = $expected;";
        command.Parameters.AddWithValue("$name", row.Name);
        command.Parameters.AddWithValue("$enabled", row.Enabled ? 1 : 0);
        command.Parameters.AddWithValue("$period", (long)row.Period.TotalMilliseconds);
        command.Parameters.AddWithValue("$next", row.NextRun is { } next ? SqliteValues.Time(next) : DBNull.Value);
        command.Parameters.AddWithValue("$last", row.LastRun is { } last ? SqliteValues.Time(last) : DBNull.Value);
        command.Parameters.AddWithValue("$expected", onlyIfNextRun is { } expected ? SqliteValues.Time(expected) : DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Name} armed: enabled {Enabled}, every {Period}")]
    private static partial void LogArmed(ILogger logger, string name, bool enabled, TimeSpan period);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Name} fired (due {Due})")]
    private static partial void LogFired(ILogger logger, string name, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Error, Message = "A schedule could not fire; it is retried")]
    private static partial void LogFiringFailed(ILogger logger, Exception exception);

    private sealed record Row(string Name, bool Enabled, TimeSpan Period, DateTimeOffset? NextRun, DateTimeOffset? LastRun);
}
