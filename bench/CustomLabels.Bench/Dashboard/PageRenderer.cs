using System.Diagnostics;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Bench.Dashboard;

/// <summary>Renders a dashboard page on the server, as its first response does, at a given URL.</summary>
internal static class PageRenderer
{
    /// <summary>Renders the page once in its own scope, waits for its data, and returns the HTML and the time it took.</summary>
    public static async Task<(string Html, TimeSpan Elapsed)> RenderAsync<TPage>(IServiceProvider services, string url)
        where TPage : IComponent
    {
        await using var scope = services.CreateAsyncScope();
        ((FixedNavigationManager)scope.ServiceProvider.GetRequiredService<NavigationManager>()).Set(url);
        await using var renderer = new HtmlRenderer(scope.ServiceProvider, NullLoggerFactory.Instance);
        var watch = Stopwatch.StartNew();
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TPage>();
            await output.QuiescenceTask;
            return output.ToHtmlString();
        });
        return (html, watch.Elapsed);
    }

    /// <summary>The median of <paramref name="runs"/> renders, after one that warms up.</summary>
    public static async Task<(string Html, double Milliseconds)> MedianAsync<TPage>(IServiceProvider services, string url, int runs)
        where TPage : IComponent
    {
        var (html, _) = await RenderAsync<TPage>(services, url);
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            times.Add((await RenderAsync<TPage>(services, url)).Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return (html, times[times.Count / 2]);
    }

    /// <summary>The JS runtime of a prerender: there is no browser yet, so a call is a mistake.</summary>
    internal sealed class PrerenderJSRuntime : Microsoft.JSInterop.IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            throw new InvalidOperationException($"JavaScript ({identifier}) cannot be called while prerendering.");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            InvokeAsync<TValue>(identifier, args);
    }

    /// <summary>A navigation manager that stands at one URL, as the request's would.</summary>
    internal sealed class FixedNavigationManager : NavigationManager
    {
        public void Set(string url) => Initialize(new Uri(new Uri(url), "/").ToString(), url);

        protected override void NavigateToCore(string uri, NavigationOptions options) => Uri = ToAbsoluteUri(uri).ToString();
    }
}
