using CustomLabels.Core.Accounts;

namespace CustomLabels.Web.Authentication;

/// <summary>
/// The one-time setup of a fresh install with no operator configured: a random token, opened at start when no user
/// exists, that lets one person create the first operator. It is used once; only its hash is kept, in memory.
/// </summary>
public sealed class FirstOperatorSetup(IAccountStore accounts) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _tokenHash;

    /// <summary>True while a setup token is waiting to be used.</summary>
    public bool IsOpen => Volatile.Read(ref _tokenHash) is not null;

    /// <summary>Opens setup with a new token, replacing any earlier one, and returns it.</summary>
    public string Open()
    {
        var token = ApiKeys.Generate()[ApiKeys.KeyPrefix.Length..];
        Volatile.Write(ref _tokenHash, ApiKeys.Hash(token));
        return token;
    }

    /// <summary>True when <paramref name="token"/> is the open setup token.</summary>
    public bool Accepts(string? token)
    {
        var expected = Volatile.Read(ref _tokenHash);
        return expected is not null && !string.IsNullOrEmpty(token) && ApiKeys.AreEqual(ApiKeys.Hash(token), expected);
    }

    /// <summary>
    /// Creates the first operator with the token, which is then spent. Returns null when the token is not the open
    /// one, or when a user exists already (then setup closes).
    /// </summary>
    /// <exception cref="AccountValidationException">The name or password is not acceptable; the token stays open.</exception>
    public async Task<UserAccount?> CompleteAsync(string? token, string userName, string password, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!Accepts(token))
            {
                return null;
            }

            var user = await accounts.CreateFirstOperatorAsync(userName, password, "setup", cancellationToken);
            Volatile.Write(ref _tokenHash, null);
            return user;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
