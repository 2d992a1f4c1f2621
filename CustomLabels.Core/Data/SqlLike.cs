namespace CustomLabels.Core.Data;

/// <summary>Builds SQLite <c>LIKE</c> patterns from user text, with <c>\</c> as the escape character.</summary>
internal static class SqlLike
{
    /// <summary>A pattern that matches any text containing <paramref name="text"/> literally.</summary>
    public static string Contains(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
