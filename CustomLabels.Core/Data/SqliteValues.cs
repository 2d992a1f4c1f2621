using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CustomLabels.Core.Data;

/// <summary>How the embedded tables store values: times as round-trip UTC text, absent text as NULL.</summary>
internal static class SqliteValues
{
    /// <summary>A time as stored: ISO 8601 round-trip text in UTC, which sorts in time order.</summary>
    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>A time read back.</summary>
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>A text column that may be NULL.</summary>
    public static string? TextOrNull(this SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>A value for a parameter: the value, or DBNull for null.</summary>
    public static object OrNull(object? value) => value ?? DBNull.Value;

    /// <summary>Runs one statement with named parameters.</summary>
    public static async Task<int> ExecuteAsync(
        this SqliteConnection connection,
        SqliteTransaction? transaction,
        string sql,
        CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, OrNull(value));
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
