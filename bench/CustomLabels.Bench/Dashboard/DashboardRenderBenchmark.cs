using CustomLabels.Core;
using CustomLabels.Core.Data;
using CustomLabels.Core.Storage;
using CustomLabels.Web.Components;
using CustomLabels.Web.Components.Pages.Runs;
using CustomLabels.Web.Components.Pages.TrainingImages;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SkiaSharp;

namespace CustomLabels.Bench.Dashboard;

/// <summary>
/// Server-side render of dashboard pages over large data: the training images page with 10,000 images and the runs
/// page with 10,000 executions. Each figure
/// is the first page's render time, and its ratio to the same page rendered over an empty data set in the same run.
/// </summary>
internal sealed class DashboardRenderBenchmark : IBenchmark
{
    public const double GoalMilliseconds = 150;

    public string Name => "dashboard";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var images = context.Quick ? 1_000 : 10_000;
        var runs = context.Quick ? 3 : 7;
        var figures = new List<Figure>();

        using (var empty = await CoreHost.StartAsync(Path.Combine(context.Scratch, "empty"), cancellationToken))
        using (var full = await CoreHost.StartAsync(Path.Combine(context.Scratch, "images"), cancellationToken))
        {
            await FillTrainingSetAsync(full.Services.GetRequiredService<IObjectStore>(), images, cancellationToken);
            const string url = "http://localhost/training-images?label=label-00";
            var (_, baseline) = await empty.RenderAsync<TrainingImagesPage>(url, runs);
            var (html, ms) = await full.RenderAsync<TrainingImagesPage>(url, runs);
            if (!html.Contains("label-19", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The training images page did not render the labels.");
            }

            figures.Add(new Figure($"training images page, {images:N0} images: first page", ms, "ms", $"< {GoalMilliseconds}", ms < GoalMilliseconds));
            figures.Add(new Figure($"training images page, {images:N0} images: against an empty set", ms / baseline, "x empty", "-", true));

            await WorkflowBenchmark.SeedExecutionsAsync(full.Services.GetRequiredService<SqliteDatabase>(), images, cancellationToken);
            var (_, runsBaseline) = await empty.RenderAsync<RunsPage>("http://localhost/runs", runs);
            var (runsHtml, runsMs) = await full.RenderAsync<RunsPage>("http://localhost/runs", runs);
            if (!runsHtml.Contains("Next page", StringComparison.Ordinal) || runsHtml.Contains("No runs match", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The runs page did not render the runs.");
            }

            figures.Add(new Figure($"runs page, {images:N0} executions: first page", runsMs, "ms", $"< {GoalMilliseconds}", runsMs < GoalMilliseconds));
            figures.Add(new Figure($"runs page, {images:N0} executions: against no executions", runsMs / runsBaseline, "x empty", "-", true));
        }

        return figures;
    }

    private static async Task FillTrainingSetAsync(IObjectStore store, int count, CancellationToken cancellationToken)
    {
        using var bitmap = new SKBitmap(8, 8);
        bitmap.Erase(SKColors.SteelBlue);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var bytes = png.ToArray();
        for (var i = 0; i < count; i++)
        {
            await store.PutBytesAsync(BucketLayout.TrainingImageKey($"label-{i % 20:00}", $"image-{i:00000}.png"), bytes, cancellationToken: cancellationToken);
        }
    }

    /// <summary>The embedded Core, as the app registers it, on a data directory, with the pages' own services.</summary>
    private sealed class CoreHost(IHost host) : IDisposable
    {
        public IServiceProvider Services => host.Services;

        public static async Task<CoreHost> StartAsync(string dataDirectory, CancellationToken cancellationToken)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration["CustomLabels:DataDirectory"] = dataDirectory;
            builder.AddCustomLabelsCore();
            builder.Services.AddDashboardPageServices();
            builder.Services.AddScoped<NavigationManager, PageRenderer.FixedNavigationManager>();
            builder.Services.AddScoped<Microsoft.JSInterop.IJSRuntime, PageRenderer.PrerenderJSRuntime>();
            var host = builder.Build();
            await host.StartAsync(cancellationToken);
            return new CoreHost(host);
        }

        public Task<(string Html, double Milliseconds)> RenderAsync<TPage>(string url, int runs)
            where TPage : IComponent => PageRenderer.MedianAsync<TPage>(host.Services, url, runs);

        public void Dispose()
        {
            host.StopAsync().GetAwaiter().GetResult();
            host.Dispose();
        }
    }
}
