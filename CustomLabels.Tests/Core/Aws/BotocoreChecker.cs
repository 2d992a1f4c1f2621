using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CustomLabels.Tests.Core.Aws;

/// <summary>
/// Checks captured requests against botocore's service models (botocore_check.py, one long-lived Python process):
/// operation, target header, required members and member types, and botocore's own serialisation of the same call.
/// It uses the botocore that Debian's awscli package bundles (./test.sh installs it), or a standalone botocore.
/// </summary>
public sealed class BotocoreChecker : IDisposable
{
    private static readonly string[] Interpreters = ["/usr/bin/python3", "python3"];
    private readonly Process _process;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public BotocoreChecker()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Core", "Aws", "botocore_check.py");
        var failures = new List<string>();
        foreach (var python in Interpreters)
        {
            var process = TryStart(python, script, failures);
            if (process is not null)
            {
                _process = process;
                return;
            }
        }

        throw new InvalidOperationException(
            "No Python with botocore was found to check AWS requests against the service models; install Debian's awscli "
            + "(apt-get install awscli; ./test.sh does this). Tried: " + string.Join("; ", failures));
    }

    public string Source { get; private set; } = string.Empty;

    /// <summary>Checks one request; returns the checker's verdict.</summary>
    public async Task<JsonObject> CheckAsync(string service, string operation, CapturedRequest request)
    {
        var line = new JsonObject
        {
            ["service"] = service,
            ["operation"] = operation,
            ["method"] = request.Method,
            ["path"] = request.PathAndQuery,
            ["headers"] = new JsonObject([.. request.Headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))]),
            ["body"] = request.Body,
        };
        return await AskAsync(line);
    }

    /// <summary>Asserts that a request is what botocore would send for the operation.</summary>
    public async Task AssertMatchesModelAsync(string service, string operation, CapturedRequest request)
    {
        var verdict = await CheckAsync(service, operation, request);
        Assert.True(verdict["ok"]!.GetValue<bool>(), $"{service} {operation}: {verdict["errors"]?.ToJsonString()}");
    }

    /// <summary>The values of an enum shape of a service's model, e.g. Rekognition's ProjectVersionStatus.</summary>
    public async Task<IReadOnlyList<string>> EnumAsync(string service, string shape)
    {
        var verdict = await AskAsync(new JsonObject { ["enum"] = shape, ["service"] = service });
        Assert.True(verdict["ok"]!.GetValue<bool>(), verdict.ToJsonString());
        return [.. verdict["values"]!.AsArray().Select(v => v!.GetValue<string>())];
    }

    /// <summary>botocore's SigV4 signature of a captured request, over the headers the request signed.</summary>
    public async Task<string> SignatureAsync(CapturedRequest request, string service, string region, string accessKey, string secretKey, string? sessionToken = null)
    {
        var verdict = await AskAsync(new JsonObject
        {
            ["sign"] = true,
            ["method"] = request.Method,
            ["url"] = request.Url.ToString(),
            ["headers"] = new JsonObject([.. request.Headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))]),
            ["body"] = request.Body,
            ["service"] = service,
            ["region"] = region,
            ["access_key"] = accessKey,
            ["secret_key"] = secretKey,
            ["token"] = sessionToken,
        });
        Assert.True(verdict["ok"]!.GetValue<bool>(), verdict.ToJsonString());
        return verdict["signature"]!.GetValue<string>();
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill();
            }
        }
        finally
        {
            _process.Dispose();
            _lock.Dispose();
        }
    }

    private async Task<JsonObject> AskAsync(JsonObject line)
    {
        await _lock.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(line.ToJsonString());
            await _process.StandardInput.FlushAsync();
            var answer = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
                         ?? throw new InvalidOperationException("The botocore checker stopped: " + await _process.StandardError.ReadToEndAsync());
            return (JsonObject)JsonNode.Parse(answer)!;
        }
        finally
        {
            _lock.Release();
        }
    }

    private Process? TryStart(string python, string script, List<string> failures)
    {
        Process? process = null;
        try
        {
            process = Process.Start(new ProcessStartInfo(python, [script])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            var ready = process?.StandardOutput.ReadLine();
            if (ready is not null && JsonNode.Parse(ready)?["ready"]?.GetValue<bool>() == true)
            {
                Source = $"{python} ({JsonNode.Parse(ready)!["source"]})";
                return process;
            }

            failures.Add($"{python}: {process?.StandardError.ReadToEnd().Trim()}");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            failures.Add($"{python}: {exception.Message}");
        }

        process?.Dispose();
        return null;
    }
}
