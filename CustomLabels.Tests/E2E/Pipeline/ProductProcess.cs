using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CustomLabels.Tests.E2E.Pipeline;

/// <summary>
/// The real product as a separate process: <c>dotnet CustomLabels.Web.dll --urls http://127.0.0.1:&lt;port&gt;</c>, set
/// up by <c>CustomLabels__*</c> environment variables, and killed (not asked to stop) when a test says so.
/// </summary>
public sealed class ProductProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _client;

    private ProductProcess(Process process, Uri baseAddress, string apiKey)
    {
        _process = process;
        BaseAddress = baseAddress;
        _client = new HttpClient { BaseAddress = baseAddress };
        _client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public Uri BaseAddress { get; }

    /// <summary>A client that sends the bootstrap (Operator) key.</summary>
    public HttpClient Client => _client;

    /// <summary>What the process wrote, for a failing test's message.</summary>
    public string Output => string.Join(Environment.NewLine, _output.TakeLast(60));

    /// <summary>The web host's entry assembly, as the build put it beside the test binaries' own configuration.</summary>
    public static string WebAssembly { get; } = FindWebAssembly();

    /// <summary>Starts the product on a free loopback port over a data directory and waits until it answers <c>/health</c>.</summary>
    public static async Task<ProductProcess> StartAsync(string dataDirectory, string apiKey, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(WebAssembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WebAssembly);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["CustomLabels__DataDirectory"] = dataDirectory;
        start.Environment["CustomLabels__BootstrapApiKey"] = apiKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__CustomLabels"] = "Information";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var product = new ProductProcess(process, new Uri($"http://127.0.0.1:{port}"), apiKey);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await product.WaitUntilHealthyAsync();
        return product;
    }

    /// <summary>Kills the process and everything it started, as a power cut or <c>kill -9</c> would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _client.Dispose();
        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The product exited with {_process.ExitCode} at start:{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await _client.GetAsync("/health", limit.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested)
            {
            }

            if (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"The product did not answer /health within 2 minutes:{Environment.NewLine}{Output}");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindWebAssembly()
    {
        // The tests run from <repo>/CustomLabels.Tests/bin/<configuration>/<framework>[/<runtime>]/; the web host builds to
        // the same place under <repo>/CustomLabels.Web.
        var tests = new DirectoryInfo(AppContext.BaseDirectory);
        var parts = new List<string>();
        for (var directory = tests; directory is not null; directory = directory.Parent)
        {
            if (directory.Name == "CustomLabels.Tests" && directory.Parent is { } repository)
            {
                parts.Reverse();
                var candidate = Path.Combine([repository.FullName, "CustomLabels.Web", .. parts, "CustomLabels.Web.dll"]);
                return File.Exists(candidate)
                    ? candidate
                    : throw new FileNotFoundException($"The web host is not built at {candidate}; build the solution first.", candidate);
            }

            parts.Add(directory.Name);
        }

        throw new DirectoryNotFoundException($"No CustomLabels.Tests folder above {AppContext.BaseDirectory}.");
    }
}
