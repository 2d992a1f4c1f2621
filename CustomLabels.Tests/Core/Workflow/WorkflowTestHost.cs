using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Data;
using CustomLabels.Core.Parameters.Embedded;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// A real host with the embedded parameter store, workflow runner and event sources on a SQLite file in a data
/// folder, a definition written for the test, and the test's own task handlers. Stopping it and starting another on
/// the same folder is a restart.
/// </summary>
internal sealed class WorkflowTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly IHost _host;
    private bool _started;

    private WorkflowTestHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IWorkflowService Workflow => Services.GetRequiredService<IWorkflowService>();

    public PipelineEvents Events => Services.GetRequiredService<PipelineEvents>();

    /// <summary>Builds the host without starting it.</summary>
    public static WorkflowTestHost Create(
        string dataDirectory,
        string definitionJson,
        IEnumerable<ITaskHandler>? handlers = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var definitionPath = Path.Combine(dataDirectory, "statemachine.asl.json");
        Directory.CreateDirectory(dataDirectory);
        File.WriteAllText(definitionPath, definitionJson);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var configuration = new Dictionary<string, string?>
        {
            ["CustomLabels:DataDirectory"] = dataDirectory,
            ["CustomLabels:Workflow:DefinitionPath"] = definitionPath,
            ["CustomLabels:Workflow:ObjectSettleMilliseconds"] = "250",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddLogging();
        builder.Services.AddOptions<CustomLabelsOptions>().BindConfiguration(CustomLabelsOptions.SectionName);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PipelineEvents>();
        builder.Services.AddSingleton<SqliteDatabase>();
        builder.Services.AddSingleton<FileObjectStore>();
        builder.Services.AddSingleton<IObjectStore>(sp => sp.GetRequiredService<FileObjectStore>());
        foreach (var handler in handlers ?? [])
        {
            builder.Services.AddSingleton(handler);
        }

        configure?.Invoke(builder.Services);
        builder.Services.AddEmbeddedParameters();
        builder.Services.AddEmbeddedWorkflow();
        return new WorkflowTestHost(builder.Build());
    }

    /// <summary>Builds and starts a host.</summary>
    public static async Task<WorkflowTestHost> StartAsync(string dataDirectory, string definitionJson, IEnumerable<ITaskHandler>? handlers = null, IDictionary<string, string?>? settings = null)
    {
        var host = Create(dataDirectory, definitionJson, handlers, settings);
        await host.StartAsync();
        return host;
    }

    public async Task StartAsync()
    {
        await _host.StartAsync();
        _started = true;
    }

    public Task StopAsync() => _host.StopAsync();

    /// <summary>Starts an execution and waits for its end.</summary>
    public async Task<ExecutionDetail> RunAsync(JsonNode input, string? name = null)
    {
        var started = await Workflow.StartExecutionAsync(input.ToJsonString(), name);
        return await Workflow.WaitForCompletionAsync(started.ExecutionId, Patience);
    }

    public async Task<IReadOnlyList<string>> EventTypesAsync(string executionId) =>
        [.. (await Workflow.GetExecutionHistoryAsync(executionId)).Select(e => e.Type)];

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, checking it again each time the pipeline reports a change
    /// (and at least every <paramref name="recheck"/>, for conditions that time alone makes true).
    /// </summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? recheck = null)
    {
        using var changed = new SemaphoreSlim(0);
        using var subscription = Events.Subscribe(_ => changed.Release());
        using var timeout = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            try
            {
                await changed.WaitAsync(recheck ?? Timeout.InfiniteTimeSpan, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("The awaited workflow state was not reached.");
            }
        }
    }

    /// <summary>Waits until an execution with this id exists, then until it ends.</summary>
    public async Task<ExecutionDetail> WaitForExecutionAsync(string executionId)
    {
        await WaitUntilAsync(async () => await Workflow.DescribeExecutionAsync(executionId) is not null);
        return await Workflow.WaitForCompletionAsync(executionId, Patience);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_started)
            {
                await _host.StopAsync();
            }
        }
        finally
        {
            _host.Dispose();
        }
    }
}

/// <summary>A task handler written in the test: it counts its calls and runs the given function.</summary>
internal sealed class TestHandler(string name, Func<JsonNode?, TaskContext, CancellationToken, Task<JsonNode?>> run) : ITaskHandler
{
    private int _calls;

    public TestHandler(string name, Func<JsonNode?, JsonNode?> run)
        : this(name, (input, _, _) => Task.FromResult(run(input)))
    {
    }

    public string Name { get; } = name;

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<TaskContext> Contexts { get; } = new();

    public async Task<JsonNode?> InvokeAsync(JsonNode? input, TaskContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        Contexts.Enqueue(context);
        return await run(input, context, cancellationToken);
    }
}
