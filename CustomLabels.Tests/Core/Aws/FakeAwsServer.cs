using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Tests.Core.Aws;

/// <summary>One request as the fake service received it.</summary>
public sealed record CapturedRequest(string Method, string PathAndQuery, Uri Url, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A stand-in for an AWS service on a loopback port: it records every request and answers each with the next
/// scripted response, in the documented shapes. Unscripted requests get a 501 that fails the test.
/// </summary>
public sealed class FakeAwsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, string Body, (string Name, string Value)[] Headers)> _responses = new();
    private readonly ConcurrentQueue<CapturedRequest> _requests = new();

    private FakeAwsServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<CapturedRequest> Requests => [.. _requests];

    public static async Task<FakeAwsServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeAwsServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>Scripts the next answer.</summary>
    public FakeAwsServer Respond(int status, string body, params (string Name, string Value)[] headers)
    {
        _responses.Enqueue((status, body, headers));
        return this;
    }

    /// <summary>Scripts a JSON-protocol error answer.</summary>
    public FakeAwsServer RespondError(int status, string code, string message) =>
        Respond(status, $$"""{"__type":"com.amazonaws.service#{{code}}","message":"{{message}}"}""", ("x-amzn-RequestId", "req-1"));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var pathAndQuery = context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        _requests.Enqueue(new CapturedRequest(context.Request.Method, pathAndQuery, new Uri(BaseAddress, pathAndQuery), headers, body));
        if (!_responses.TryDequeue(out var response))
        {
            context.Response.StatusCode = 501;
            await context.Response.WriteAsync("""{"__type":"NotScripted","message":"the test scripted no answer for this request"}""");
            return;
        }

        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = response.Body.TrimStart().StartsWith('<') ? "text/xml" : "application/x-amz-json-1.1";
        await context.Response.WriteAsync(response.Body);
    }
}
