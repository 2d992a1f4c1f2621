using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CustomLabels.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Tests.Web.Api;

/// <summary>
/// The real web app, started in this process on a loopback port with real Kestrel and a temp data directory, and
/// clients that talk to it over real HTTP.
/// </summary>
public sealed partial class RunningApp : IAsyncDisposable
{
    public const string BootstrapKey = "bootstrap-key-for-tests-0123456789";

    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];
    private readonly bool _ownsData;

    private RunningApp(WebApplication app, TempDirectory data, bool ownsData, LogCapture logs)
    {
        _app = app;
        Data = data;
        _ownsData = ownsData;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.Single());
    }

    public TempDirectory Data { get; }

    public Uri BaseAddress { get; }

    public LogCapture Logs { get; }

    public IServiceProvider Services => _app.Services;

    public string DatabaseFile => Data.Combine("customlabels.db");

    /// <summary>Starts the app with these settings (configuration keys to values) on a data directory, a new one by default.</summary>
    /// <param name="settings">Configuration keys and values.</param>
    /// <param name="data">The data directory; a new one by default.</param>
    /// <param name="configure">Extra setup of the builder (e.g. a decorator of a port), after the app's own.</param>
    public static async Task<RunningApp> StartAsync(
        IReadOnlyDictionary<string, string>? settings = null,
        TempDirectory? data = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var ownsData = data is null;
        data ??= new TempDirectory();
        var all = new Dictionary<string, string>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["CustomLabels:DataDirectory"] = data.Path,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:CustomLabels"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var logs = new LogCapture();
        var app = CustomLabelsWebApp.Create(
            [.. all.Select(s => $"--{s.Key}={s.Value}")],
            builder =>
            {
                builder.Logging.AddProvider(logs);
                configure?.Invoke(builder);
            });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A start refused (bad configuration) leaves no half-started host behind in the test process.
            await app.DisposeAsync();
            if (ownsData)
            {
                data.Dispose();
            }

            throw;
        }

        return new RunningApp(app, data, ownsData, logs);
    }

    /// <summary>A client that sends an API key, or none.</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = BaseAddress,
        };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>Creates an API key with the bootstrap key and returns the plain key; key names are unique, so the default name is too.</summary>
    public async Task<string> CreateKeyAsync(string role, string? name = null)
    {
        using var response = await Client(BootstrapKey).PostAsJsonAsync("/api/keys", new { name = name ?? $"{role} key {Guid.NewGuid():N}", role });
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();
        return (string)created!["key"]!;
    }

    /// <summary>Posts a form of the minimal account pages, with the antiforgery token of the page it came from.</summary>
    public static async Task<HttpResponseMessage> PostPageFormAsync(HttpClient client, string pageUrl, string postUrl, IReadOnlyDictionary<string, string> fields)
    {
        var page = await client.GetStringAsync(pageUrl);
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, $"No antiforgery field on {pageUrl}");
        var form = new Dictionary<string, string>(fields) { [token.Groups["name"].Value] = WebUtility.HtmlDecode(token.Groups["value"].Value) };
        return await client.PostAsync(postUrl, new FormUrlEncodedContent(form));
    }

    /// <summary>Signs in with the sign-in page and returns a client that carries the cookie.</summary>
    public async Task<HttpClient> SignInAsync(string userName, string password)
    {
        var client = Client();
        using var response = await PostPageFormAsync(
            client, "/account/sign-in", "/account/sign-in", new Dictionary<string, string> { ["userName"] = userName, ["password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsData)
        {
            Data.Dispose();
        }
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex AntiforgeryField();
}

/// <summary>Keeps every log message the app writes, so a test can read what an operator would see.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._messages.Enqueue(formatter(state, exception));
    }
}
