using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// The whole embedded product as it is registered for the web host (AddCustomLabelsCore): the runner interprets
/// <c>infra/statemachine.asl.json</c> with every task handler, the real model (trained small and fast), SQLite stores
/// and the bucket folder. Time is shortened by configuration only.
/// </summary>
public sealed class PipelineHost : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _data = new();
    private readonly IHost _host;

    private PipelineHost(IReadOnlyDictionary<string, string?>? settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CustomLabels:DataDirectory"] = _data.Path,
            ["CustomLabels:Workflow:DefinitionPath"] = DefinitionPath,
            ["CustomLabels:Workflow:TimeScale"] = "0.01",
            ["CustomLabels:Workflow:ObjectSettleMilliseconds"] = "100",
            ["CustomLabels:Workflow:Steps:TrainingPollSeconds"] = "20",
            ["CustomLabels:Workflow:Steps:StartPollSeconds"] = "10",
            ["CustomLabels:Model:TrainingVariants"] = "2",
            ["CustomLabels:Model:ValidationVariants"] = "1",
            ["CustomLabels:Model:BackgroundCanvases"] = "4",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddLogging();
        builder.AddCustomLabelsCore();
        _host = builder.Build();
    }

    /// <summary>The demo training set: two brands, five clean shots each.</summary>
    public static string DemoTrain { get; } = Path.Combine(Find("shared", "datasets"), "logos-dev", "demo", "train");

    /// <summary>The demo's photos to detect on (img_01 is godot's logo).</summary>
    public static string DemoInference => Path.Combine(Path.GetDirectoryName(DemoTrain)!, "inference");

    /// <summary>Logos that no demo version was trained on.</summary>
    public static string UnknownLogos => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(DemoTrain))!, "unknown");

    public static string DefinitionPath { get; } = Path.Combine(Find("infra", "statemachine.asl.json"));

    public IServiceProvider Services => _host.Services;

    public IWorkflowService Workflow => Services.GetRequiredService<IWorkflowService>();

    public IObjectStore Store => Services.GetRequiredService<IObjectStore>();

    public IParameterStore Parameters => Services.GetRequiredService<IParameterStore>();

    public ICustomLabelsModel Model => Services.GetRequiredService<ICustomLabelsModel>();

    public IHumanReview Review => Services.GetRequiredService<IHumanReview>();

    public IDetectionLog DetectionLog => Services.GetRequiredService<IDetectionLog>();

    public INotifier Notifier => Services.GetRequiredService<INotifier>();

    public PipelineEvents Events => Services.GetRequiredService<PipelineEvents>();

    public SystemStateStore SystemState => Services.GetRequiredService<SystemStateStore>();

    /// <summary>Starts the product; <paramref name="settings"/> add to or override the configuration.</summary>
    public static async Task<PipelineHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = new PipelineHost(settings);
        await host._host.StartAsync();
        return host;
    }

    /// <summary>Copies every <c>&lt;label&gt;/&lt;file&gt;</c> of a folder into the training set.</summary>
    public async Task UploadTrainingSetAsync(string folder, Func<string, string>? relabel = null)
    {
        foreach (var labelFolder in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            foreach (var file in Directory.EnumerateFiles(labelFolder).Order(StringComparer.Ordinal))
            {
                var label = relabel?.Invoke(Path.GetFileName(labelFolder)) ?? Path.GetFileName(labelFolder);
                await Store.PutBytesAsync(BucketLayout.TrainingImageKey(label, Path.GetFileName(file)), await File.ReadAllBytesAsync(file));
            }
        }
    }

    /// <summary>Starts an execution with an event and waits for its end.</summary>
    public async Task<ExecutionDetail> RunAsync(JsonNode input)
    {
        var started = await Workflow.StartExecutionAsync(input.ToJsonString());
        return await Workflow.WaitForCompletionAsync(started.ExecutionId, Patience);
    }

    /// <summary>Stores an image for detection (the object event starts the run) and waits for its logged, finished run.</summary>
    public async Task<(DetectionRecord Detection, ExecutionDetail Execution)> DetectAsync(string key, byte[] image, IReadOnlyDictionary<string, string>? metadata = null)
    {
        await Store.PutBytesAsync(key, image, metadata);
        DetectionRecord? record = null;
        await WaitUntilAsync(async () =>
        {
            var page = await DetectionLog.QueryAsync(new DetectionQuery(Search: key, MaxResults: 10));
            record = page.Items.FirstOrDefault(d => d.ObjectKey == key);
            return record is not null;
        });
        var execution = await Workflow.WaitForCompletionAsync(record!.ExecutionId!, Patience);
        return (await DetectionLog.GetAsync(record.RequestId) ?? record, execution);
    }

    /// <summary>Waits until the condition holds, looking again at each pipeline change.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var changed = new SemaphoreSlim(0);
        using var subscription = Events.Subscribe(_ => changed.Release());
        using var timeout = new CancellationTokenSource(Patience);
        while (!await condition())
        {
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("The awaited pipeline state was not reached.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    private static string Find(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine([directory.FullName, .. parts]);
            if (Path.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No {Path.Combine(parts)} above {AppContext.BaseDirectory}");
    }
}
