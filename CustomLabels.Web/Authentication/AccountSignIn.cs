using CustomLabels.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace CustomLabels.Web.Authentication;

/// <summary>
/// Signs a user in and out of the dashboard with the sign-in cookie. Any sign-in page (the minimal one here, or the
/// dashboard's) calls this from a request that can still set cookies.
/// </summary>
public sealed class AccountSignIn(IAccountStore accounts, FirstOperatorSetup setup)
{
    /// <summary>Checks the name and password and, when right, issues the cookie. Returns the user, or null.</summary>
    public async Task<UserAccount?> SignInAsync(HttpContext context, string? userName, string? password, bool remember, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = await accounts.VerifyPasswordAsync(userName ?? string.Empty, password ?? string.Empty, cancellationToken);
        if (user is not null)
        {
            await IssueCookieAsync(context, user, remember);
        }

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

    /// <summary>Removes the cookie.</summary>
    public static Task SignOutAsync(HttpContext context) =>
        context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);

    private static Task IssueCookieAsync(HttpContext context, UserAccount user, bool remember) =>
        context.SignInAsync(
            CookieAuthenticationDefaults.AuthenticationScheme,
            AuthenticationSetup.Principal(user.UserName, Callers.UserPrincipal(user.Id), user.Role, CookieAuthenticationDefaults.AuthenticationScheme),
            new AuthenticationProperties { IsPersistent = remember });
}
