using CustomLabels.Core;
using CustomLabels.Web.Api;
using CustomLabels.Web.Authentication;

namespace CustomLabels.Web;

/// <summary>
/// Builds the web host: Core, sign-in and API keys, the HTTP API and health. <c>Program</c> runs it; tests and
/// benchmarks start the same app on a loopback port.
/// </summary>
public static class CustomLabelsWebApp
{
    /// <summary>Where the app listens when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> says.</summary>
    public const string DefaultUrl = "http://localhost:5000";

    /// <summary>Builds the app from command-line arguments and the usual configuration sources.</summary>
    /// <param name="args">The command line (<c>--urls</c>, <c>--CustomLabels:DataDirectory=...</c>, ...).</param>
    /// <param name="configure">Extra setup of the builder before it is built, e.g. a log provider.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.AddCustomLabelsCore();
        builder.AddCustomLabelsAuthentication();
        builder.AddCustomLabelsApi();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseCustomLabelsApiErrors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapCustomLabelsAuthentication();
        app.MapCustomLabelsApi();
        return app;
    }
}
