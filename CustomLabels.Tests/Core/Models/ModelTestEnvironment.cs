using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Embedded;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Tests.Core.Models;

/// <summary>A data directory with a real object store and a real embedded model over it.</summary>
public sealed class ModelTestEnvironment : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly bool _ownsDirectory;

    public ModelTestEnvironment(ModelOptions? options = null, TempDirectory? directory = null)
    {
        _ownsDirectory = directory is null;
        _directory = directory ?? new TempDirectory();
        Options = options ?? new ModelOptions();
        Store = new FileObjectStore(_directory.Path, NullLogger<FileObjectStore>.Instance);
        Model = new EmbeddedCustomLabelsModel(
            Store,
            Microsoft.Extensions.Options.Options.Create(new CustomLabelsOptions { DataDirectory = _directory.Path }),
            Microsoft.Extensions.Options.Options.Create(Options),
            Events,
            TimeProvider.System,
            NullLogger<EmbeddedCustomLabelsModel>.Instance);
    }

    public ModelOptions Options { get; }

    public FileObjectStore Store { get; }

    public PipelineEvents Events { get; } = new();

    public EmbeddedCustomLabelsModel Model { get; }

    public TempDirectory Directory => _directory;

    /// <summary>The shared data sets folder, found by walking up from the test assembly.</summary>
    public static string Datasets { get; } = FindDatasets();

    public static string LogosDev => Path.Combine(Datasets, "logos-dev");

    /// <summary>Copies every <c>&lt;label&gt;/&lt;file&gt;</c> of a folder into the bucket under a prefix.</summary>
    public async Task UploadLabelFoldersAsync(string folder, string prefix = BucketLayout.TrainingImages)
    {
        foreach (var labelFolder in System.IO.Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(labelFolder).Order(StringComparer.Ordinal))
            {
                await Store.PutBytesAsync($"{prefix}{Path.GetFileName(labelFolder)}/{Path.GetFileName(file)}", await File.ReadAllBytesAsync(file));
            }
        }
    }

    /// <summary>Writes the training manifest, trains, and waits until training ends.</summary>
    public async Task<ProjectVersion> TrainAsync(string version, string? testManifestKey = null, CancellationToken cancellationToken = default)
    {
        await TrainingManifest.WriteAsync(Store, version, cancellationToken: cancellationToken);
        await Model.CreateProjectVersionAsync(new CreateProjectVersionRequest(version, TrainingManifest.KeyFor(version), testManifestKey), cancellationToken);
        return await WaitForAsync(version, v => v.Status != ProjectVersionStatus.TrainingInProgress, cancellationToken);
    }

    public async Task<ProjectVersion> StartAsync(string version, int units = 1, CancellationToken cancellationToken = default)
    {
        await Model.StartProjectVersionAsync(version, units, cancellationToken);
        return await WaitForAsync(version, v => v.Status != ProjectVersionStatus.Starting, cancellationToken);
    }

    public Task<ProjectVersion> WaitForAsync(string version, Func<ProjectVersion, bool> done, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        return Model.WaitForAsync(version, done, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Model.DisposeAsync();
        if (_ownsDirectory)
        {
            _directory.Dispose();
        }
    }

    private static string FindDatasets()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "datasets");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("No shared/datasets folder above " + AppContext.BaseDirectory);
    }
}
