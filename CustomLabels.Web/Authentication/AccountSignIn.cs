using CustomLabels.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace CustomLabels.Web.Authentication;

/// <summary>
/// Signs a user in and out of the dashboard with the sign-in cookie. Any sign-in page (the minimal one here, or the
/// dashboard's) calls this from a request that can still set cookies.
/// </summary>
public sealed class AccountSignIn(IAccountStore accounts, FirstOperatorSetup setup, SignInThrottle throttle)
{
    /// <summary>
    /// Checks the name and password and, when right, issues the cookie. Returns the user, or null. Wrong ones are
    /// counted per name and per client address (see <see cref="SignInOptions"/>).
    /// </summary>
    /// <exception cref="SignInLockedOutException">The name or the address is locked; the password was not checked.</exception>
    public async Task<UserAccount?> SignInAsync(HttpContext context, string? userName, string? password, bool remember, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = userName ?? string.Empty;
        var address = context.Connection.RemoteIpAddress?.ToString();
        if (throttle.LockedFor(name, address) is { } wait)
        {
            throw new SignInLockedOutException(wait);
        }

        var user = await accounts.VerifyPasswordAsync(name, password ?? string.Empty, cancellationToken);
        if (user is null)
        {
            throttle.RecordFailure(name, address);
            return null;
        }

        throttle.RecordSuccess(name);
        await IssueCookieAsync(context, user, remember);
        return user;
    }

    /// <summary>
    /// Creates the first operator with the one-time setup token and signs them in. Returns null when the token is
    /// not valid (spent, replaced, or a user exists).
    /// </summary>
    /// <exception cref="AccountValidationException">The name or password is not acceptable; the token stays valid.</exception>
    public async Task<UserAccount?> CompleteSetupAsync(HttpContext context, string? token, string? userName, string? password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = await setup.CompleteAsync(token, userName ?? string.Empty, password ?? string.Empty, cancellationToken);
        if (user is not null)
        {
            await IssueCookieAsync(context, user, remember: false);
        }

        return user;
    }

    /// <summary>
    /// Removes the cookie and renews the user's security stamp, so that no copy of a cookie issued before (this one
    /// replayed, or another browser's) is accepted any more.
    /// </summary>
    public async Task SignOutAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (UserIdOf(context.User) is { } userId)
        {
            await accounts.RenewSecurityStampAsync(userId, cancellationToken);
        }

        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// Refuses a sign-in cookie whose security stamp is not the user's current one (signed out since, or issued before
    /// stamps existed) or whose user is gone. Runs on every request that carries the cookie.
    /// </summary>
    internal static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var userId = principal is null ? null : UserIdOf(principal);
        var stamp = principal?.FindFirst(SecurityStampClaim)?.Value;
        var accounts = context.HttpContext.RequestServices.GetRequiredService<IAccountStore>();
        var current = userId is null ? null : await accounts.GetSecurityStampAsync(userId, context.HttpContext.RequestAborted);
        if (current is null || stamp is null || !ApiKeys.AreEqual(stamp, current))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>The claim of a sign-in cookie that holds the user's security stamp when it was issued.</summary>
    internal const string SecurityStampClaim = "customlabels:security-stamp";

    private static string? UserIdOf(System.Security.Claims.ClaimsPrincipal user)
    {
        const string prefix = "user:";
        return user.CallerId() is { } id && id.StartsWith(prefix, StringComparison.Ordinal) && id.Length > prefix.Length ? id[prefix.Length..] : null;
    }

    private async Task IssueCookieAsync(HttpContext context, UserAccount user, bool remember)
    {
        var stamp = await accounts.GetSecurityStampAsync(user.Id, context.RequestAborted)
            ?? throw new InvalidOperationException($"The user '{user.UserName}' has no security stamp.");
        await context.SignInAsync(
            CookieAuthenticationDefaults.AuthenticationScheme,
            AuthenticationSetup.Principal(
                user.UserName,
                Callers.UserPrincipal(user.Id),
                user.Role,
                CookieAuthenticationDefaults.AuthenticationScheme,
                new System.Security.Claims.Claim(SecurityStampClaim, stamp)),
            new AuthenticationProperties { IsPersistent = remember });
    }
}
