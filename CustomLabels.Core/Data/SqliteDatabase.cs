using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Data;

/// <summary>
/// The embedded database: one SQLite file, <c>&lt;data&gt;/customlabels.db</c>, in WAL mode. Each feature brings
/// its tables as <see cref="ISqliteMigration"/>s; <see cref="MigrateAsync"/> applies those not yet applied, in
/// order of their ids, each in its own transaction.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private readonly IReadOnlyList<ISqliteMigration> _migrations;
    private readonly SemaphoreSlim _migrateLock = new(1, 1);
    private volatile bool _migrated;

    /// <summary>Opens the database under the configured data directory.</summary>
    public SqliteDatabase(IOptions<CustomLabelsOptions> options, IEnumerable<ISqliteMigration> migrations)
        : this(Path.Combine(options.Value.DataDirectoryFullPath, "customlabels.db"), migrations)
    {
    }

    /// <summary>Opens the database file at <paramref name="path"/>.</summary>
    public SqliteDatabase(string path, IEnumerable<ISqliteMigration> migrations)
    {
        FilePath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        _migrations = [.. migrations.OrderBy(m => m.Id, StringComparer.Ordinal)];
        var duplicate = _migrations.GroupBy(m => m.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two database migrations have the id '{duplicate.Key}'.");
        }

        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string FilePath { get; }

    /// <summary>The connection string (pooled, private cache).</summary>
    public string ConnectionString { get; }

    /// <summary>Opens a connection with the product's pragmas, after the schema is up to date.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (!_migrated)
        {
            await MigrateAsync(cancellationToken);
        }

        return await OpenRawAsync(cancellationToken);
    }

    /// <summary>Applies every migration that has not been applied yet.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await _migrateLock.WaitAsync(cancellationToken);
        try
        {
            if (_migrated)
            {
                return;
            }

            await using var connection = await OpenRawAsync(cancellationToken);
            await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);
            await ExecuteAsync(
                connection,
                "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL);",
                cancellationToken);

            var applied = new HashSet<string>(StringComparer.Ordinal);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT id FROM schema_migrations;";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetString(0));
                }
            }

            foreach (var migration in _migrations.Where(m => !applied.Contains(m.Id)))
            {
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = connection.CreateCommand())
                {
                    command.Transaction = transaction;
                    command.CommandText = migration.Sql;
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = connection.CreateCommand())
                {
                    record.Transaction = transaction;
                    record.CommandText = "INSERT INTO schema_migrations (id, applied_at) VALUES ($id, $at);";
                    record.Parameters.AddWithValue("$id", migration.Id);
                    record.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            _migrated = true;
        }
        finally
        {
            _migrateLock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _migrateLock.Dispose();

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>One step of the embedded schema. Ids sort in the order the steps apply, e.g. <c>0100-parameters</c>.</summary>
public interface ISqliteMigration
{
    /// <summary>The id; ordinal order is application order.</summary>
    string Id { get; }

    /// <summary>The SQL, run in one transaction.</summary>
    string Sql { get; }
}

/// <summary>A migration given by its id and SQL.</summary>
public sealed record SqliteMigration(string Id, string Sql) : ISqliteMigration;
