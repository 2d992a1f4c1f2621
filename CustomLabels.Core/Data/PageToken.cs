using System.Globalization;
using System.Text;

namespace CustomLabels.Core.Data;

/// <summary>Opaque paging tokens over a SQLite keyset (a row's ordinal position), shared by the embedded stores.</summary>
internal static class PageToken
{
    /// <summary>The token that resumes after <paramref name="position"/>.</summary>
    public static string Encode(long position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(position.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The longest token <see cref="Encode"/> writes (a position of 19 digits), with room to spare.</summary>
    internal const int MaxLength = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The position a token resumes after, or null for the first page.</summary>
    /// <exception cref="InvalidPageTokenException">
    /// The token was not issued by <see cref="Encode"/>: too long, not base64, not UTF-8, not a whole number, negative
    /// or past a long's range.
    /// </exception>
    public static long? Decode(string? token) => token is null ? null : Decode(token, prefix: string.Empty);

    /// <summary>The position after <paramref name="prefix"/> in a token encoded as base64 of the prefix and the number.</summary>
    /// <exception cref="InvalidPageTokenException">The token was not issued with that prefix.</exception>
    internal static long Decode(string token, string prefix)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length <= MaxLength)
        {
            try
            {
                var text = StrictUtf8.GetString(Convert.FromBase64String(token));
                if (text.StartsWith(prefix, StringComparison.Ordinal)
                    && long.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var position))
                {
                    return position;
                }
            }
            catch (Exception e) when (e is FormatException or DecoderFallbackException)
            {
                // falls through to the refusal below
            }
        }

        throw new InvalidPageTokenException("The page token is not one this listing issued.");
    }
}
