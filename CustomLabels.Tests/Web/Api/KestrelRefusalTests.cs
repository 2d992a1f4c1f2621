using System.Net.Sockets;
using System.Text;

namespace CustomLabels.Tests.Web.Api;

/// <summary>
/// Requests that Kestrel refuses while it parses them, before any middleware runs: sent over a raw socket, since
/// HttpClient refuses to send most of them. Kestrel answers these itself with an empty body (README, "HTTP API").
/// </summary>
public sealed class KestrelRefusalTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;

    public static TheoryData<string, string, int> Refused => new()
    {
        // Over Kestrel's MaxRequestHeadersTotalSize (32 KiB).
        { "oversized header", $"GET /api/account HTTP/1.1\r\nHost: localhost\r\nX-Padding: {new string('a', 40 * 1024)}\r\n\r\n", 431 },
        // Over Kestrel's MaxRequestLineSize (8 KiB).
        { "overlong URI", $"GET /api/account?q={new string('a', 16 * 1024)} HTTP/1.1\r\nHost: localhost\r\n\r\n", 414 },
        // A NUL in a header value.
        { "NUL in a header", "GET /api/account HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Bad: a\u0000b\r\n\r\n", 400 },
        // A byte that is not ASCII in a header value.
        { "non-ASCII header byte", "GET /api/account HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Bad: a\u00FFb\r\n\r\n", 400 },
        // A header name with a space in it.
        { "bad header name", "GET /api/account HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nBad Name: x\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task ARequestKestrelRefusesWhileParsingIsAnsweredWithItsStatusAndAnEmptyBody(string what, string request, int status)
    {
        var response = await SendRawAsync(request);

        var (statusLine, headers, body) = Split(response);
        Assert.True(statusLine.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{what}: {statusLine}");
        Assert.Contains("Content-Length: 0", headers, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("Connection: close", headers, StringComparer.OrdinalIgnoreCase);
        Assert.Empty(body);
    }

    [Fact]
    public async Task ARequestThatKestrelTakesIsAnsweredByTheAppWithProblemDetails()
    {
        // The contrast: once Kestrel has parsed a request, an error is the app's, and it has a problem body.
        var response = await SendRawAsync(
            $"GET /api/nothing-here HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: {RunningApp.BootstrapKey}\r\nConnection: close\r\n\r\n");

        var (statusLine, headers, body) = Split(response);
        Assert.StartsWith("HTTP/1.1 404 ", statusLine, StringComparison.Ordinal);
        Assert.Contains(headers, h => h.StartsWith("Content-Type: application/problem+json", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("\"status\":404", body, StringComparison.Ordinal);
    }

    /// <summary>Sends the bytes as they are and reads the answer until Kestrel closes the connection.</summary>
    private async Task<string> SendRawAsync(string request)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // a hang fails the test instead of stalling the run
        using var client = new TcpClient();
        await client.ConnectAsync(_app.BaseAddress.Host, _app.BaseAddress.Port, cancel.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request), cancel.Token);
        }
        catch (IOException)
        {
            // Kestrel may answer and close before it has read all of an oversized request; the answer is still there to read.
        }

        using var answer = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0)
            {
                answer.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (answer.Length > 0)
        {
            // A reset after the answer (unread request bytes left in the socket) ends the read.
        }

        return Encoding.Latin1.GetString(answer.ToArray());
    }

    private static (string StatusLine, string[] Headers, string Body) Split(string response)
    {
        var end = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end >= 0, $"No complete header block in: {response}");
        var lines = response[..end].Split("\r\n");
        return (lines[0], lines[1..], response[(end + 4)..]);
    }
}
