using System.Text;

namespace CustomLabels.Core.Storage;

/// <summary>
/// Validates object keys and their segments (labels, file names). A key is relative, uses <c>/</c> between
/// segments, has no empty, <c>.</c> or <c>..</c> segment, no backslash or control character, and is at most
/// 1024 UTF-8 bytes (S3's limit) with segments of at most 255 bytes (a file name's limit).
/// </summary>
public static class ObjectKey
{
    /// <summary>The longest key in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>The longest segment in UTF-8 bytes.</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>Throws <see cref="InvalidObjectKeyException"/> unless <paramref name="key"/> is a valid key; returns it.</summary>
    public static string Validate(string key)
    {
        var reason = Check(key, allowTrailingSlash: false);
        return reason is null ? key : throw new InvalidObjectKeyException(key ?? string.Empty, reason);
    }

    /// <summary>Throws unless <paramref name="prefix"/> is empty or a valid key prefix (it may end with <c>/</c>); returns it.</summary>
    public static string ValidatePrefix(string prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return string.Empty;
        }

        var reason = Check(prefix, allowTrailingSlash: true);
        return reason is null ? prefix : throw new InvalidObjectKeyException(prefix, reason);
    }

    /// <summary>
    /// Throws unless <paramref name="segment"/> is one valid key segment (a label or a file name); returns it.
    /// </summary>
    /// <param name="segment">The segment.</param>
    /// <param name="what">What the segment is, for the message: "label", "file name".</param>
    public static string ValidateSegment(string segment, string what)
    {
        var reason = CheckSegment(segment);
        return reason is null ? segment : throw new InvalidObjectKeyException(segment ?? string.Empty, $"a {what} {reason}");
    }

    /// <summary>True when <paramref name="segment"/> is one valid key segment.</summary>
    public static bool IsValidSegment(string? segment) => CheckSegment(segment) is null;

    /// <summary>The key with control characters escaped, safe to put in a message or a log.</summary>
    public static string Printable(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(Math.Min(key.Length, 200));
        foreach (var c in key.Length > 200 ? key[..200] : key)
        {
            builder.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }

        return key.Length > 200 ? builder.Append('…').ToString() : builder.ToString();
    }

    private static string? Check(string? key, bool allowTrailingSlash)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "it is empty";
        }

        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            return $"it is longer than {MaxKeyBytes} bytes";
        }

        if (key[0] == '/')
        {
            return "it is an absolute path";
        }

        var body = allowTrailingSlash && key.EndsWith('/') ? key[..^1] : key;
        foreach (var segment in body.Split('/'))
        {
            var reason = CheckSegment(segment);
            if (reason is not null)
            {
                return $"a segment {reason}";
            }
        }

        return null;
    }

    private static string? CheckSegment(string? segment)
    {
        if (string.IsNullOrEmpty(segment))
        {
            return "is empty";
        }

        if (segment is "." or "..")
        {
            return "is '.' or '..'";
        }

        if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
        {
            return $"is longer than {MaxSegmentBytes} bytes";
        }

        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (char.IsControl(c))
            {
                return "contains a control character";
            }

            if (IsBidiFormatting(c))
            {
                return $"contains the bidirectional formatting character U+{(int)c:X4}, which would show the name in another order than it is stored";
            }

            if (c is '/' or '\\')
            {
                return "contains a path separator";
            }

            if (char.IsHighSurrogate(c) && i + 1 < segment.Length && char.IsLowSurrogate(segment[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return "contains an unpaired surrogate";
            }
        }

        if (segment.Trim().Length == 0)
        {
            return "is only white space";
        }

        return null;
    }

    /// <summary>The marks and embeddings that reorder text on screen (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069).</summary>
    private static bool IsBidiFormatting(char c) => c is '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
