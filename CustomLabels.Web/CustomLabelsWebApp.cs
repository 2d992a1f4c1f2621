using CustomLabels.Core;
using CustomLabels.Web.Api;
using CustomLabels.Web.Authentication;
using CustomLabels.Web.Components;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace CustomLabels.Web;

/// <summary>
/// Builds the web host: Core, sign-in and API keys, the HTTP API, health and the dashboard. <c>Program</c> runs it; tests and
/// benchmarks start the same app on a loopback port.
/// </summary>
public static class CustomLabelsWebApp
{
    /// <summary>Where the app listens when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> says.</summary>
    public const string DefaultUrl = "http://localhost:5000";

    /// <summary>
    /// <c>dotnet run</c> starts the app in the folder where it was typed, so that the default data folder is
    /// <c>./data</c> there; the app's own <c>appsettings.json</c> then sits beside its binary, not in that folder. It is
    /// read first, so that everything else (environment, command line) still overrides it.
    /// </summary>
    private static void AddSettingsBesideTheApp(WebApplicationBuilder builder)
    {
        const string fileName = "appsettings.json";
        if (File.Exists(Path.Combine(builder.Environment.ContentRootPath, fileName)) || !File.Exists(Path.Combine(AppContext.BaseDirectory, fileName)))
        {
            return;
        }

        var source = new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
            Path = fileName,
            Optional = true,
            ReloadOnChange = false,
        };
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, source);
    }

    /// <summary>Builds the app from command-line arguments and the usual configuration sources.</summary>
    /// <param name="args">The command line (<c>--urls</c>, <c>--CustomLabels:DataDirectory=...</c>, ...).</param>
    /// <param name="configure">Extra setup of the builder before it is built, e.g. a log provider.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        AddSettingsBesideTheApp(builder);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.AddCustomLabelsCore();
        builder.AddCustomLabelsAuthentication();
        builder.AddCustomLabelsApi();
        builder.AddDashboard();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseCustomLabelsApiErrors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapCustomLabelsAuthentication();
        app.MapCustomLabelsApi();
        app.MapDashboard();
        return app;
    }
}
