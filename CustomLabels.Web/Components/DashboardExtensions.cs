using System.Security.Claims;
using CustomLabels.Core.Storage;
using CustomLabels.Web.Components.Layout;
using Microsoft.AspNetCore.StaticFiles;
using CustomLabels.Web.Api.Samples;
using CustomLabels.Web.Api.TrainingImages;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;

namespace CustomLabels.Web.Components;

/// <summary>Registers and maps the Blazor dashboard.</summary>
internal static class DashboardExtensions
{
    /// <summary>The authenticated endpoint that serves bucket images to the dashboard (thumbnails, review images).</summary>
    public const string ImagePath = "/dashboard/images";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static string ImageUrl(string key) =>
        $"{ImagePath}?key={Uri.EscapeDataString(key)}";

    public static IHostApplicationBuilder AddDashboard(this IHostApplicationBuilder builder)
    {
        if (builder is WebApplicationBuilder web)
        {
            // Run from build output (dotnet run, tests), the framework's and MudBlazor's files are found through the
            // static web assets manifest; published, they sit in wwwroot and this finds no manifest and does nothing.
            web.WebHost.UseStaticWebAssets();
        }

        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddDashboardPageServices();
        return builder;
    }

    /// <summary>What the pages inject besides Core: MudBlazor's services and the pages' own helpers.</summary>
    public static IServiceCollection AddDashboardPageServices(this IServiceCollection services, Action<MudServicesConfiguration>? configureMud = null)
    {
        services.AddMudServices(configureMud ?? (_ => { }));
        services.AddScoped<ThemePreference>();
        services.AddScoped<DashboardImageAccess>();
        services.AddScoped<Pages.TrainingImages.TrainingSetEditor>();
        services.AddSingleton<Pages.Runs.WorkflowDefinitionSource>();
        // The same uploader and samples the API adds, for the training images page's "Add the sample images".
        services.TryAddSingleton<TrainingImageUploader>();
        services.TryAddSingleton<SampleImages>();
        return services;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        // Named after this assembly, so that a host started from another entry point (a test) finds the dashboard's assets.
        var manifest = Path.Combine(AppContext.BaseDirectory, $"{typeof(App).Assembly.GetName().Name}.staticwebassets.endpoints.json");
        // Styles and scripts are public: the sign-in page needs them before anyone has signed in.
        app.MapStaticAssets(File.Exists(manifest) ? manifest : null).AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapGet(ImagePath, GetImageAsync).RequireAuthorization();
        return app;
    }

    private static async Task<IResult> GetImageAsync(
        string key, ClaimsPrincipal user, DashboardImageAccess access, IObjectStore store, CancellationToken cancellationToken)
    {
        // Only images a dashboard page shows; manifests, evaluations and review output stay behind the API.
        if (!key.StartsWith(BucketLayout.TrainingImages, StringComparison.Ordinal)
            && !key.StartsWith(BucketLayout.DetectionImages, StringComparison.Ordinal)
            && !key.StartsWith(BucketLayout.RejectedImages, StringComparison.Ordinal))
        {
            return Results.NotFound();
        }

        try
        {
            if (!await access.MaySeeAsync(user, key, cancellationToken))
            {
                return Results.Forbid();
            }

            var stored = await store.GetAsync(key, cancellationToken);
            var contentType = ContentTypes.TryGetContentType(key, out var type) ? type : "application/octet-stream";
            return Results.Stream(stored.Content, contentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{stored.Info.ETag}\""));
        }
        catch (ObjectNotFoundException)
        {
            return Results.NotFound();
        }
        catch (InvalidObjectKeyException)
        {
            return Results.NotFound();
        }
    }
}
