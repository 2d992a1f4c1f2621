using CustomLabels.Core;
using CustomLabels.Core.Data;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Detections.Embedded;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Notifications.Embedded;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Parameters.Embedded;
using CustomLabels.Core.Review;
using CustomLabels.Core.Review.Embedded;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core;

/// <summary>
/// The embedded parts the workflow's steps use, real and registered as the product registers them: a SQLite file
/// and a bucket folder in a fresh temp folder.
/// </summary>
public sealed class PipelineParts : IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly ServiceProvider _services;

    public PipelineParts(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["CustomLabels:DataDirectory"] = _data.Path })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddOptions<CustomLabelsOptions>().BindConfiguration(CustomLabelsOptions.SectionName);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PipelineEvents>();
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<FileObjectStore>();
        services.AddSingleton<IObjectStore>(sp => sp.GetRequiredService<FileObjectStore>());
        services.AddEmbeddedParameters();
        services.AddSingleton<SystemStateStore>();
        services.AddEmbeddedDetections();
        services.AddEmbeddedReview();
        services.AddEmbeddedNotifications();
        configure?.Invoke(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = false, ValidateScopes = true });
    }

    public IServiceProvider Services => _services;

    public string DataDirectory => _data.Path;

    public FileObjectStore Store => _services.GetRequiredService<FileObjectStore>();

    public SqliteDatabase Database => _services.GetRequiredService<SqliteDatabase>();

    public IDetectionLog DetectionLog => _services.GetRequiredService<IDetectionLog>();

    public IHumanReview Review => _services.GetRequiredService<IHumanReview>();

    public INotifier Notifier => _services.GetRequiredService<INotifier>();

    public IParameterStore Parameters => _services.GetRequiredService<IParameterStore>();

    public SystemStateStore SystemState => _services.GetRequiredService<SystemStateStore>();

    public PipelineEvents Events => _services.GetRequiredService<PipelineEvents>();

    /// <summary>Every key under a prefix.</summary>
    public async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        await foreach (var info in Store.ListAllAsync(prefix))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    public void Dispose()
    {
        _services.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }
}
