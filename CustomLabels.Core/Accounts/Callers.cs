namespace CustomLabels.Core.Accounts;

/// <summary>
/// How callers are named and identified. A caller's name is what people read (a user's name, <c>api-key:&lt;key
/// name&gt;</c>); its principal id is what the product attributes work to and checks ownership by
/// (<c>user:&lt;id&gt;</c>, <c>api-key-id:&lt;id&gt;</c>, <c>bootstrap-api-key</c>), which two callers never share.
/// </summary>
public static class Callers
{
    /// <summary>The prefix of an API key's caller name.</summary>
    public const string KeyNamePrefix = "api-key:";

    /// <summary>The name, and the principal id, of the bootstrap key from configuration.</summary>
    public const string BootstrapKey = "bootstrap-api-key";

    /// <summary>The caller name of the API key named <paramref name="keyName"/>.</summary>
    public static string KeyName(string keyName) => KeyNamePrefix + keyName;

    /// <summary>The principal id of the user with this id.</summary>
    public static string UserPrincipal(string userId) => "user:" + userId;

    /// <summary>The principal id of the API key with this id.</summary>
    public static string KeyPrincipal(string keyId) => "api-key-id:" + keyId;

    /// <summary>True when a user with this name would read like an API key.</summary>
    public static bool LooksLikeAKey(string userName) =>
        userName.StartsWith(KeyNamePrefix, StringComparison.OrdinalIgnoreCase)
        || string.Equals(userName, BootstrapKey, StringComparison.OrdinalIgnoreCase);
}
