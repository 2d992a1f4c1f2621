using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CustomLabels.Tests.Core.Aws;

/// <summary>
/// An S3- or DynamoDB-compatible server from the pinned npm tools (s3rver, dynalite), which ./test.sh installs in
/// .ci/tools, started on a loopback port for one test class and stopped with it.
/// </summary>
public sealed class NodeServer : IDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _data = new();

    public NodeServer(string kind, string? bucket = null)
    {
        var modules = FindToolModules(kind);
        var script = Path.Combine(AppContext.BaseDirectory, "Core", "Aws", "node-host.js");
        // s3rver's continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider.
        _process = Process.Start(new ProcessStartInfo("node", ["--openssl-legacy-provider", script, kind, modules, _data.Path, bucket ?? string.Empty])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("node did not start.");
        var line = _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        if (line is null)
        {
            throw new InvalidOperationException($"{kind} did not start: {_process.StandardError.ReadToEnd()}");
        }

        Url = $"http://127.0.0.1:{JsonNode.Parse(line)!["port"]!.GetValue<int>()}";
    }

    /// <summary>The server's base URL.</summary>
    public string Url { get; }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            _process.Dispose();
            _data.Dispose();
        }
    }

    private static string FindToolModules(string kind)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var modules = Path.Combine(dir.FullName, ".ci", "tools", "node_modules");
            if (Directory.Exists(Path.Combine(modules, kind)))
            {
                return modules;
            }
        }

        throw new InvalidOperationException($"{kind} is not installed in .ci/tools; run .ci/install-test-tools.sh (./test.sh does).");
    }
}

/// <summary>s3rver with the pipeline's bucket, for one test class.</summary>
public sealed class S3rverFixture() : IDisposable
{
    public const string Bucket = "customlabels-test";

    public NodeServer Server { get; } = new("s3rver", Bucket);

    public void Dispose() => Server.Dispose();
}

/// <summary>dynalite, for one test class.</summary>
public sealed class DynaliteFixture : IDisposable
{
    public NodeServer Server { get; } = new("dynalite");

    public void Dispose() => Server.Dispose();
}
