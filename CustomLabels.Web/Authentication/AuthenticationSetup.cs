using System.Security.Claims;
using CustomLabels.Core;
using CustomLabels.Core.Accounts;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;

namespace CustomLabels.Web.Authentication;

/// <summary>
/// Sign-in for the dashboard (a cookie) and API keys for programs (<c>X-Api-Key</c>), combined by one policy scheme
/// that picks the key scheme when the header is present; an authorization policy per role; and nothing reachable
/// without one or the other, except what is marked anonymous (sign-in, first-operator setup, health).
/// </summary>
public static class AuthenticationSetup
{
    /// <summary>The policy scheme that forwards to the cookie or the API key scheme.</summary>
    public const string Scheme = "CustomLabels";

    /// <summary>The API key scheme.</summary>
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>The header that carries an API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The sign-in page.</summary>
    public const string SignInPath = "/account/sign-in";

    /// <summary>The first-operator setup page.</summary>
    public const string SetupPath = "/account/setup";

    /// <summary>Adds the schemes, the role policies and the first-operator setup.</summary>
    public static WebApplicationBuilder AddCustomLabelsAuthentication(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Sign-in or API key", options =>
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.ContainsKey(ApiKeyHeader) ? ApiKeyScheme : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyScheme, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, options =>
            {
                options.Cookie.Name = ".CustomLabels.SignIn";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = TimeSpan.FromHours(12);
                options.SlidingExpiration = true;
                options.LoginPath = SignInPath;
                options.AccessDeniedPath = SignInPath;
                options.Events.OnRedirectToLogin = context => RedirectOrStatusAsync(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => RedirectOrStatusAsync(context, StatusCodes.Status403Forbidden);
                options.Events.OnValidatePrincipal = AccountSignIn.ValidateAsync;
            });

        var authenticated = new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().Build();
        var authorization = builder.Services.AddAuthorizationBuilder()
            .SetDefaultPolicy(authenticated)
            .SetFallbackPolicy(authenticated);
        foreach (var role in Enum.GetValues<AccountRole>())
        {
            authorization.AddPolicy(Policies.For(role), policy => policy
                .AddAuthenticationSchemes(Scheme)
                .RequireAuthenticatedUser()
                .RequireRole(AccountRoles.Granting(role).Select(r => r.ToString())));
        }

        // Sign-in cookies and antiforgery tokens stay valid across restarts: their keys live with the data.
        var dataDirectory = builder.Configuration.GetSection(CustomLabelsOptions.SectionName).Get<CustomLabelsOptions>()?.DataDirectoryFullPath
            ?? new CustomLabelsOptions().DataDirectoryFullPath;
        builder.Services.AddDataProtection()
            .SetApplicationName("CustomLabels")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
        builder.Services.AddAntiforgery();
        builder.Services.AddSingleton<FirstOperatorSetup>();
        builder.Services.AddHostedService<AccountsBootstrap>();
        builder.Services.AddScoped<AccountSignIn>();
        builder.Services.AddOptions<SignInOptions>()
            .BindConfiguration(SignInOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<SignInThrottle>();
        return builder;
    }

    /// <summary>Maps sign-in, sign-out and first-operator setup.</summary>
    public static WebApplication MapCustomLabelsAuthentication(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        AccountEndpoints.Map(app);
        return app;
    }

    /// <summary>Claims for a user or key with this name, principal id (see <see cref="Callers"/>) and role.</summary>
    internal static ClaimsPrincipal Principal(string name, string principalId, AccountRole role, string authenticationType, params Claim[] extra) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.NameIdentifier, principalId), new Claim(ClaimTypes.Role, role.ToString()), .. extra],
            authenticationType,
            ClaimTypes.Name,
            ClaimTypes.Role));

    // A page gets the sign-in page; an API call or a script gets the status code and a problem body.
    private static Task RedirectOrStatusAsync(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var request = context.Request;
        var wantsPage = HttpMethods.IsGet(request.Method)
            && !request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
            && !request.Path.StartsWithSegments("/openapi", StringComparison.OrdinalIgnoreCase)
            && request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
        if (wantsPage && status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = status;
        }

        return Task.CompletedTask;
    }
}

/// <summary>The authorization policy names, one per role; each admits the role and Operator.</summary>
public static class Policies
{
    /// <summary>Operators only.</summary>
    public const string Operator = nameof(AccountRole.Operator);

    /// <summary>Reviewers and Operators.</summary>
    public const string Reviewer = nameof(AccountRole.Reviewer);

    /// <summary>Consumers and Operators.</summary>
    public const string Consumer = nameof(AccountRole.Consumer);

    /// <summary>The policy for a role.</summary>
    public static string For(AccountRole role) => role.ToString();
}

/// <summary>Who is calling, as the pipeline records it (changed by, requested by, answered by).</summary>
public static class CallerExtensions
{
    /// <summary>The user's name, or <c>api-key:&lt;name&gt;</c> for an API key.</summary>
    public static string CallerName(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Identity?.Name ?? "unknown";
    }

    /// <summary>
    /// The caller's principal id (<c>user:&lt;id&gt;</c>, <c>api-key-id:&lt;id&gt;</c>, <c>bootstrap-api-key</c>),
    /// which no two callers share: what a caller's own work is found by. Null for a principal without one.
    /// </summary>
    public static string? CallerId(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FindFirst(ClaimTypes.NameIdentifier)?.Value is { Length: > 0 } id ? id : null;
    }

    /// <summary>A detection of this image, sent by this caller (by name and by principal id).</summary>
    public static Core.Detections.DetectionRequest DetectionRequest(this ClaimsPrincipal user, string? fileName, ReadOnlyMemory<byte> image) =>
        new(fileName, image) { RequestedBy = user.CallerName(), RequesterId = user.CallerId() };
}
