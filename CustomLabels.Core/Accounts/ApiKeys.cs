using System.Security.Cryptography;
using System.Text;

namespace CustomLabels.Core.Accounts;

/// <summary>How API keys are made and compared: 32 random bytes, kept only as a SHA-256 hash.</summary>
public static class ApiKeys
{
    /// <summary>What every key starts with, so a leaked key is easy to recognise.</summary>
    public const string KeyPrefix = "clk_";

    /// <summary>How many characters of a key are kept in clear, to tell keys apart.</summary>
    public const int VisiblePrefixLength = 8;

    /// <summary>A new random key.</summary>
    public static string Generate() =>
        KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The hex SHA-256 of a key, as stored.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Compares two keys in constant time.</summary>
    public static bool AreEqual(string? a, string? b) =>
        a is not null && b is not null
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}
