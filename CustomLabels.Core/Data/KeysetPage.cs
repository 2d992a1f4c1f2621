using Microsoft.Data.Sqlite;

namespace CustomLabels.Core.Data;

/// <summary>
/// Reads one page of a keyset query for the embedded stores: the caller's filters, resumed after the key that the
/// page token carries, in key order, reading one row more than the page to know whether another page follows.
/// </summary>
internal static class KeysetPage
{
    /// <summary>Completes <paramref name="command"/> and reads the page.</summary>
    /// <param name="command">A command whose filter parameters are already set.</param>
    /// <param name="selectFrom">The <c>SELECT ... FROM table</c> part.</param>
    /// <param name="where">The filter clauses, joined with AND.</param>
    /// <param name="keyColumn">The ordinal key column the page is ordered and resumed by.</param>
    /// <param name="ascending">Oldest first when true.</param>
    /// <param name="nextToken">The previous page's token, or null for the first page.</param>
    /// <param name="maxResults">The page size.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="keyOf">A row's key, for the next page's token.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentException">The token was not issued by this store.</exception>
    public static async Task<(List<T> Items, string? NextToken)> ReadAsync<T>(
        SqliteCommand command,
        string selectFrom,
        List<string> where,
        string keyColumn,
        bool ascending,
        string? nextToken,
        int maxResults,
        Func<SqliteDataReader, T> read,
        Func<T, long> keyOf,
        CancellationToken cancellationToken)
    {
        if (PageToken.Decode(nextToken) is { } position)
        {
            where.Add($"{keyColumn} {(ascending ? ">" : "<")} $resume");
            command.Parameters.AddWithValue("$resume", position);
        }

        command.CommandText = $"""
            {selectFrom}
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : string.Empty)}
            ORDER BY {keyColumn} {(ascending ? "ASC" : "DESC")} LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$limit", maxResults + 1);

        var items = new List<T>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(read(reader));
            }
        }

        if (items.Count <= maxResults)
        {
            return (items, null);
        }

        items.RemoveAt(items.Count - 1);
        return (items, PageToken.Encode(keyOf(items[^1])));
    }
}
