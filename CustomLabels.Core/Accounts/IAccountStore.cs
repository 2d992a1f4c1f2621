namespace CustomLabels.Core.Accounts;

/// <summary>
/// The people and programs that may use the product: users who sign in with a password, and API keys.
/// Passwords are kept as salted hashes (ASP.NET Core's password hasher); an API key is shown once, when it is
/// created, and kept only as its SHA-256 hash. Embedded: SQLite.
/// </summary>
public interface IAccountStore
{
    /// <summary>True when at least one user exists.</summary>
    Task<bool> AnyUserAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a user.</summary>
    /// <exception cref="AccountValidationException">The name or password is not acceptable (a name that reads like an API key's included).</exception>
    /// <exception cref="AccountConflictException">A user with this name exists.</exception>
    Task<UserAccount> CreateUserAsync(string userName, string password, AccountRole role, string createdBy, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the first operator, only when no user exists yet, in one step (two callers cannot both succeed).
    /// Returns null when a user already existed.
    /// </summary>
    /// <exception cref="AccountValidationException">The name or password is not acceptable.</exception>
    Task<UserAccount?> CreateFirstOperatorAsync(string userName, string password, string createdBy, CancellationToken cancellationToken = default);

    /// <summary>The user with this name and password, or null when either is wrong.</summary>
    Task<UserAccount?> VerifyPasswordAsync(string userName, string password, CancellationToken cancellationToken = default);

    /// <summary>
    /// The user's security stamp, or null when no user has this id. A sign-in carries the stamp it was issued with and
    /// is refused once the stamp has changed.
    /// </summary>
    Task<string?> GetSecurityStampAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Gives the user a new security stamp, which ends every sign-in issued before (sign-out does it).</summary>
    Task RenewSecurityStampAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Every user, by name.</summary>
    Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates an API key. The plain key is in the result and nowhere else.</summary>
    /// <exception cref="AccountValidationException">The name is not acceptable.</exception>
    /// <exception cref="AccountConflictException">A key with this name exists (ignoring case), revoked or not.</exception>
    Task<CreatedApiKey> CreateApiKeyAsync(string name, AccountRole role, string createdBy, CancellationToken cancellationToken = default);

    /// <summary>The key that this plain key is, when it exists and is not revoked; otherwise null.</summary>
    Task<ApiKeyInfo?> FindActiveApiKeyAsync(string plainKey, CancellationToken cancellationToken = default);

    /// <summary>Every API key, newest first, revoked ones included; never the keys themselves.</summary>
    Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes a key, which is refused from then on. Revoking a revoked key keeps its first revocation.</summary>
    /// <returns>The key, or null when no key has this id.</returns>
    Task<ApiKeyInfo?> RevokeApiKeyAsync(string id, string revokedBy, CancellationToken cancellationToken = default);
}

/// <summary>One user.</summary>
/// <param name="UserName">The name they sign in with (unique, ignoring case).</param>
/// <param name="Role">What they may do.</param>
/// <param name="CreatedAt">When the account was created.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="Id">The user's stable id (see <see cref="Callers.UserPrincipal"/>).</param>
public sealed record UserAccount(string UserName, AccountRole Role, DateTimeOffset CreatedAt, string CreatedBy, string Id);

/// <summary>One API key, without the key.</summary>
/// <param name="Id">The key's id, used to revoke it.</param>
/// <param name="Name">What it is for, e.g. "line-3 camera".</param>
/// <param name="Role">What it may do.</param>
/// <param name="Prefix">The first characters of the key, so an operator can tell keys apart.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
public sealed record ApiKeyInfo(
    string Id,
    string Name,
    AccountRole Role,
    string Prefix,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? RevokedAt);

/// <summary>A key just created: its description and the plain key, shown this once.</summary>
public sealed record CreatedApiKey(ApiKeyInfo Info, string Key);

/// <summary>A user name, password or key name that is not acceptable; HTTP 400.</summary>
public sealed class AccountValidationException(string message) : InvalidRequestException(message);

/// <summary>The account exists already; HTTP 409.</summary>
public sealed class AccountConflictException(string message) : ConflictException(message);
