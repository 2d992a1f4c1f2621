using System.Net;
using CustomLabels.Core.Accounts;
using CustomLabels.Web.Api.Problems;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Authentication;

/// <summary>
/// The minimal sign-in, sign-out and first-operator setup pages: plain HTML forms with an antiforgery token, posted
/// back to the same paths.
/// </summary>
internal static class AccountEndpoints
{
    public static void Map(WebApplication app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription();

        // GET /account/sign-in is the dashboard's sign-in page (Components/Pages/Account/SignInPage.razor), which posts here.
        account.MapPost("/sign-in", async Task<IResult> (
            HttpContext context,
            IAntiforgery antiforgery,
            AccountSignIn signIn,
            [FromForm] string? userName,
            [FromForm] string? password,
            [FromForm] bool? remember,
            [FromForm] string? returnUrl) =>
        {
            var browser = context.Request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
            var back = Uri.EscapeDataString(LocalOrHome(returnUrl));
            UserAccount? user;
            try
            {
                user = await signIn.SignInAsync(context, userName, password, remember ?? false, context.RequestAborted);
            }
            catch (SignInLockedOutException e)
            {
                var seconds = (int)Math.Ceiling(e.RetryAfter.TotalSeconds);
                if (browser)
                {
                    return Results.LocalRedirect($"{AuthenticationSetup.SignInPath}?lockedSeconds={seconds}&returnUrl={back}");
                }

                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return SignInPage(context, antiforgery, returnUrl, e.Message, StatusCodes.Status429TooManyRequests);
            }

            if (user is not null)
            {
                return Results.LocalRedirect(LocalOrHome(returnUrl));
            }

            // A browser goes back to the dashboard's sign-in page, which says what went wrong; other callers get a 401.
            return browser
                ? Results.LocalRedirect($"{AuthenticationSetup.SignInPath}?failed=true&returnUrl={back}")
                : SignInPage(context, antiforgery, returnUrl, "The user name or the password is wrong.", StatusCodes.Status401Unauthorized);
        }).AllowAnonymous();

        account.MapPost("/sign-out", async (HttpContext context, AccountSignIn signIn) =>
        {
            await signIn.SignOutAsync(context, context.RequestAborted);
            return Results.LocalRedirect(AuthenticationSetup.SignInPath);
        });

        account.MapGet("/setup", (HttpContext context, IAntiforgery antiforgery, FirstOperatorSetup setup, string? token) =>
            setup.Accepts(token)
                ? SetupPage(context, antiforgery, token!, error: null, StatusCodes.Status200OK)
                : throw SetupClosed()).AllowAnonymous();

        account.MapPost("/setup", async Task<IResult> (
            HttpContext context,
            IAntiforgery antiforgery,
            AccountSignIn signIn,
            [FromForm] string? token,
            [FromForm] string? userName,
            [FromForm] string? password) =>
        {
            try
            {
                var user = await signIn.CompleteSetupAsync(context, token, userName, password, context.RequestAborted);
                return user is null ? throw SetupClosed() : Results.LocalRedirect("/");
            }
            catch (AccountValidationException e)
            {
                return SetupPage(context, antiforgery, token!, e.Message, StatusCodes.Status400BadRequest);
            }
        }).AllowAnonymous();
    }

    private static ApiProblemException SetupClosed() => new(
        StatusCodes.Status404NotFound,
        "Setup is not open",
        "The setup link is not valid: it was used, replaced by a newer one at restart, or an operator exists already.");

    private static IResult SignInPage(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? error, int status) => Page(
        "Sign in",
        $"""
        {ErrorLine(error)}
        <form method="post" action="{AuthenticationSetup.SignInPath}">{AntiforgeryField(context, antiforgery)}
          <input type="hidden" name="returnUrl" value="{Encode(LocalOrHome(returnUrl))}">
          <label>User name <input name="userName" autocomplete="username" required></label>
          <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
          <label><input name="remember" type="checkbox" value="true"> Keep me signed in</label>
          <button type="submit">Sign in</button>
        </form>
        """,
        status);

    private static IResult SetupPage(HttpContext context, IAntiforgery antiforgery, string token, string? error, int status) => Page(
        "Create the first operator",
        $"""
        {ErrorLine(error)}
        <form method="post" action="{AuthenticationSetup.SetupPath}">{AntiforgeryField(context, antiforgery)}
          <input type="hidden" name="token" value="{Encode(token)}">
          <label>User name <input name="userName" autocomplete="username" required></label>
          <label>Password (8 characters or more) <input name="password" type="password" autocomplete="new-password" minlength="8" required></label>
          <button type="submit">Create and sign in</button>
        </form>
        """,
        status);

    private static IResult Page(string title, string body, int status) => Results.Content(
        $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{Encode(title)} · CustomLabels</title>
        <style>body{"{"}font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto{"}"} label,button{"{"}display:block;margin:.6rem 0{"}"} .error{"{"}color:#b00020{"}"}</style>
        </head><body><h1>{Encode(title)}</h1>
        {body}
        </body></html>
        """,
        "text/html; charset=utf-8",
        statusCode: status);

    private static string ErrorLine(string? error) => error is null ? string.Empty : $"<p class=\"error\" role=\"alert\">{Encode(error)}</p>";

    private static string AntiforgeryField(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{Encode(tokens.FormFieldName)}\" value=\"{Encode(tokens.RequestToken ?? string.Empty)}\">";
    }

    /// <summary>
    /// The return URL when it is plainly a path on this site (one leading slash, no backslash, no control or
    /// non-ASCII character, of a sane length); otherwise home.
    /// </summary>
    internal static string LocalOrHome(string? returnUrl) =>
        returnUrl is { Length: > 0 and <= 2048 } && returnUrl[0] == '/'
            && (returnUrl.Length == 1 || returnUrl[1] is not ('/' or '\\'))
            && returnUrl.All(c => c is > ' ' and < '\u007F' and not '\\')
            ? returnUrl
            : "/";

    private static string Encode(string value) => WebUtility.HtmlEncode(value);
}
