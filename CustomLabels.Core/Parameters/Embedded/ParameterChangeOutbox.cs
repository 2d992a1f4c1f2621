using CustomLabels.Core.Data;

namespace CustomLabels.Core.Parameters.Embedded;

/// <summary>One parameter change waiting to be acted on.</summary>
internal sealed record PendingParameterChange(long Id, string Name, long Version);

/// <summary>
/// The changes that the store has written and the workflow has not yet acted on. The store adds to it in the same
/// transaction as the change and signals; a reader (the workflow's parameter event source) takes the entries, starts
/// their executions and removes them. Neither side depends on the other, so there is no cycle between the store and
/// the workflow.
/// </summary>
internal sealed class ParameterChangeOutbox(SqliteDatabase database) : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Tells the reader that there is something to read.</summary>
    public void Signal() => _signal.Release();

    /// <summary>Waits for a signal (or returns at once when one is pending).</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(cancellationToken);

    /// <summary>The pending changes, oldest first.</summary>
    public async Task<IReadOnlyList<PendingParameterChange>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, version FROM parameter_change_outbox ORDER BY id LIMIT 1000;";
        var pending = new List<PendingParameterChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pending.Add(new PendingParameterChange(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return pending;
    }

    /// <summary>Removes a change that has been acted on.</summary>
    public async Task RemoveAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null, "DELETE FROM parameter_change_outbox WHERE id = $id;", cancellationToken, ("$id", id));
    }

    /// <inheritdoc />
    public void Dispose() => _signal.Dispose();
}
