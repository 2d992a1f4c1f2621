using CustomLabels.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Core.Parameters.Embedded;

/// <summary>
/// The embedded Parameter Store: current values, versions and the full history of changes in SQLite (WAL). A
/// change, its history row and its outbox entry (which starts the parameter-changed execution) are written in one
/// transaction, so a change is never lost between being stored and being acted on.
/// </summary>
internal sealed partial class SqliteParameterStore(
    SqliteDatabase database,
    ParameterChangeOutbox outbox,
    PipelineEvents events,
    TimeProvider time,
    ILogger<SqliteParameterStore> logger) : IParameterStore
{
    /// <summary>The parameters' tables.</summary>
    public static ISqliteMigration Migration { get; } = new SqliteMigration("0200-parameters", """
        CREATE TABLE parameters (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            version INTEGER NOT NULL,
            last_modified TEXT NOT NULL);
        CREATE TABLE parameter_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            old_value TEXT,
            new_value TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            UNIQUE (name, version));
        CREATE TABLE parameter_change_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            version INTEGER NOT NULL);
        """);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ParameterValue>> GetAllAsync(CancellationToken cancellationToken = default)
    {
        var stored = new Dictionary<string, ParameterValue>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, value, version, last_modified FROM parameters;";
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var value = Read(reader);
                stored[value.Name] = value;
            }
        }

        return [.. ParameterCatalog.All.Select(d => stored.GetValueOrDefault(d.Name) ?? Default(d))];
    }

    /// <inheritdoc />
    public async Task<ParameterValue> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var definition = ParameterCatalog.Get(name);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadOneAsync(connection, null, name, cancellationToken) ?? Default(definition);
    }

    /// <inheritdoc />
    public async Task<ParameterValue> PutAsync(string name, string value, string changedBy, CancellationToken cancellationToken = default)
    {
        var definition = ParameterCatalog.Get(name);
        var normalized = definition.Normalize(value);
        if (string.IsNullOrWhiteSpace(changedBy))
        {
            throw new ArgumentException("A change must say who made it.", nameof(changedBy));
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        // IMMEDIATE: two writers of one parameter queue here instead of both reading the same old version.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var current = await ReadOneAsync(connection, transaction, name, cancellationToken);
        if (current is not null && current.Value == normalized)
        {
            return current; // the same value again is not a change
        }

        var now = time.GetUtcNow();
        var updated = new ParameterValue(name, normalized, (current?.Version ?? 0) + 1, now);
        await connection.ExecuteAsync(transaction, """
            INSERT INTO parameters (name, value, version, last_modified) VALUES ($name, $value, $version, $at)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, version = excluded.version, last_modified = excluded.last_modified;
            INSERT INTO parameter_history (name, version, old_value, new_value, changed_by, changed_at)
            VALUES ($name, $version, $old, $value, $by, $at);
            INSERT INTO parameter_change_outbox (name, version) VALUES ($name, $version);
            """, cancellationToken,
            ("$name", name), ("$value", normalized), ("$version", updated.Version), ("$at", SqliteValues.Time(now)),
            ("$old", current?.Value ?? definition.DefaultValue), ("$by", changedBy.Trim()));
        await transaction.CommitAsync(cancellationToken);

        LogChanged(logger, name, updated.Version, changedBy);
        events.Publish(new PipelineEvent(PipelineEventKind.Parameter, name));
        outbox.Signal();
        return updated;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ParameterChange>> GetHistoryAsync(string name, CancellationToken cancellationToken = default)
    {
        ParameterCatalog.Get(name);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT name, version, old_value, new_value, changed_by, changed_at FROM parameter_history
            WHERE name = $name ORDER BY version DESC;
            """;
        command.Parameters.AddWithValue("$name", name);
        var changes = new List<ParameterChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changes.Add(new ParameterChange(
                reader.GetString(0), reader.GetInt64(1), reader.TextOrNull(2),
                reader.GetString(3), reader.GetString(4), SqliteValues.ParseTime(reader.GetString(5))));
        }

        return changes;
    }

    private static ParameterValue Default(ParameterDefinition definition) => new(definition.Name, definition.DefaultValue, 0, null);

    private static async Task<ParameterValue?> ReadOneAsync(SqliteConnection connection, SqliteTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT name, value, version, last_modified FROM parameters WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static ParameterValue Read(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), SqliteValues.ParseTime(reader.GetString(3)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Parameter {Name} changed to version {Version} by {ChangedBy}")]
    private static partial void LogChanged(ILogger logger, string name, long version, string changedBy);
}
