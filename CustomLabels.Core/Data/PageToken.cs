using System.Globalization;
using System.Text;

namespace CustomLabels.Core.Data;

/// <summary>Opaque paging tokens over a SQLite keyset (a row's ordinal position), shared by the embedded stores.</summary>
internal static class PageToken
{
    /// <summary>The token that resumes after <paramref name="position"/>.</summary>
    public static string Encode(long position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(position.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The position a token resumes after, or null for the first page.</summary>
    /// <exception cref="ArgumentException">The token was not issued by <see cref="Encode"/>.</exception>
    public static long? Decode(string? token)
    {
        if (token is null)
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            {
                return position;
            }
        }
        catch (FormatException)
        {
            // falls through to the refusal below
        }

        throw new ArgumentException("The page token is not one this store issued.", nameof(token));
    }
}
