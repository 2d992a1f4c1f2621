using System.Security.Claims;
using System.Text.Encodings.Web;
using CustomLabels.Core;
using CustomLabels.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CustomLabels.Web.Authentication;

/// <summary>Options of the API key scheme (none beyond the defaults).</summary>
public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// Authenticates the <c>X-Api-Key</c> header: the bootstrap key from configuration (an Operator), or a key created
/// by an operator, found by its hash and refused once revoked.
/// </summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<CustomLabelsOptions> product,
    IAccountStore accounts)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, loggerFactory, encoder)
{
    /// <summary>The name the bootstrap key acts under.</summary>
    public const string BootstrapKeyName = Callers.BootstrapKey;

    /// <summary>The claim that holds an API key's id.</summary>
    public const string KeyIdClaim = "customlabels:api-key-id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(AuthenticationSetup.ApiKeyHeader, out var values))
        {
            return AuthenticateResult.NoResult();
        }

        if (values.Count != 1 || string.IsNullOrWhiteSpace(values[0]))
        {
            return AuthenticateResult.Fail($"Send exactly one {AuthenticationSetup.ApiKeyHeader} header.");
        }

        var key = values[0]!.Trim();
        var bootstrap = product.Value.BootstrapApiKey;
        if (!string.IsNullOrEmpty(bootstrap) && ApiKeys.AreEqual(key, bootstrap))
        {
            return Success(BootstrapKeyName, Callers.BootstrapKey, AccountRole.Operator, BootstrapKeyName);
        }

        var found = await accounts.FindActiveApiKeyAsync(key, Context.RequestAborted);
        if (found is null)
        {
            LogRefused(Logger, key.Length >= ApiKeys.VisiblePrefixLength ? key[..ApiKeys.VisiblePrefixLength] : "(short)");
            return AuthenticateResult.Fail("The API key is not valid or has been revoked.");
        }

        return Success(Callers.KeyName(found.Name), Callers.KeyPrincipal(found.Id), found.Role, found.Id);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = $"ApiKey header=\"{AuthenticationSetup.ApiKeyHeader}\"";
        return base.HandleChallengeAsync(properties);
    }

    private AuthenticateResult Success(string name, string principalId, AccountRole role, string keyId) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            AuthenticationSetup.Principal(name, principalId, role, AuthenticationSetup.ApiKeyScheme, new Claim(KeyIdClaim, keyId)),
            Scheme.Name));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused an API key starting {KeyPrefix}: unknown or revoked")]
    private static partial void LogRefused(ILogger logger, string keyPrefix);
}
