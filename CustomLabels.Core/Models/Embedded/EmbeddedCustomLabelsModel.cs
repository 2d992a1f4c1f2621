using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using CustomLabels.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// The embedded stand-in for Rekognition Custom Labels: the pretrained ResNet18 (ONNX Runtime) with a head trained on
/// region embeddings. Each version's artefacts live, self-contained, under <c>&lt;data&gt;/models/&lt;version&gt;/</c>
/// (<c>version.json</c>, <c>head.bin</c>, the manifest and the evaluation); on start, the version that was running is
/// loaded and serves again, and a version that was training trains again from its manifest.
/// </summary>
public sealed partial class EmbeddedCustomLabelsModel : ICustomLabelsModel, IHostedService, IAsyncDisposable
{
    private const string VersionFile = "version.json";
    private const string HeadFileName = "head.bin";
    private const int DetectionCacheTrimInterval = 64;
    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly IObjectStore _store;
    private readonly ModelOptions _options;
    private readonly PipelineEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger<EmbeddedCustomLabelsModel> _logger;
    private readonly ConcurrentDictionary<string, VersionSlot> _versions = new(StringComparer.Ordinal);
    private readonly Lock _backboneLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly EmbeddingCache _cache;
    private ResNet18Backbone? _backbone;
    private FeatureExtractor? _extractor;
    private int _loaded;
    private long _detectionCacheWrites;
    private int _disposed;

    /// <summary>Creates the model over the configured data directory.</summary>
    public EmbeddedCustomLabelsModel(
        IObjectStore store,
        IOptions<CustomLabelsOptions> productOptions,
        IOptions<ModelOptions> options,
        PipelineEvents events,
        TimeProvider time,
        ILogger<EmbeddedCustomLabelsModel> logger)
    {
        ArgumentNullException.ThrowIfNull(productOptions);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _events = events;
        _time = time;
        _logger = logger;
        ModelsDirectory = Path.Combine(productOptions.Value.DataDirectoryFullPath, "models");
        Directory.CreateDirectory(ModelsDirectory);
        _cache = new EmbeddingCache(Path.Combine(ModelsDirectory, "embedding-cache"));
    }

    /// <summary>The folder that holds every version's artefacts and the embedding cache.</summary>
    public string ModelsDirectory { get; }

    internal FeatureExtractor Extractor
    {
        get
        {
            lock (_backboneLock)
            {
                if (_extractor is null)
                {
                    _backbone = new ResNet18Backbone(_options.BackbonePath ?? ResNet18Backbone.DefaultModelPath, _options.IntraOpThreads);
                    _extractor = new FeatureExtractor(_backbone, _options);
                }

                return _extractor;
            }
        }
    }

    /// <summary>Loads every version from disk and starts again the one that was running. Called once at start.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loaded, 1) == 1)
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(ModelsDirectory, VersionFile, SearchOption.AllDirectories))
        {
            ProjectVersion? version;
            try
            {
                version = JsonSerializer.Deserialize<ProjectVersion>(await File.ReadAllBytesAsync(file, cancellationToken), StateJson);
            }
            catch (JsonException e)
            {
                LogUnreadableVersion(file, e.Message);
                continue;
            }

            if (version is null || !ObjectKey.IsValidSegment(version.VersionName))
            {
                continue;
            }

            var slot = new VersionSlot(version);
            _versions[version.VersionName] = slot;
            switch (version.Status)
            {
                case ProjectVersionStatus.TrainingInProgress when version.TrainingManifestKey is { } manifestKey:
                    // Training outlives the process, as Rekognition's does: it starts again from its manifest.
                    LogResumingTraining(version.VersionName);
                    await UpdateAsync(slot, v => v with { StatusMessage = "Training was interrupted by a restart and has started again.", TrainingProgress = 0 }, cancellationToken);
                    var request = new CreateProjectVersionRequest(version.VersionName, manifestKey, version.TestManifestKey, version.NegativesManifestKey);
                    slot.Training = Task.Run(() => TrainInBackgroundAsync(slot, request, _stopping.Token), CancellationToken.None);
                    break;
                case ProjectVersionStatus.TrainingInProgress:
                    await UpdateAsync(slot, v => v with
                    {
                        Status = ProjectVersionStatus.TrainingFailed,
                        StatusMessage = "Training was interrupted because the service stopped; train again.",
                        TrainingProgress = null,
                        TrainingEndTimestamp = _time.GetUtcNow(),
                    }, cancellationToken);
                    break;
                case ProjectVersionStatus.Running or ProjectVersionStatus.Starting:
                    LogReloading(version.VersionName);
                    await UpdateAsync(slot, v => v with { Status = ProjectVersionStatus.Starting }, cancellationToken);
                    await BringUpAsync(slot, version.MinInferenceUnits ?? 1, cancellationToken);
                    break;
                case ProjectVersionStatus.Stopping:
                    await UpdateAsync(slot, v => v with { Status = ProjectVersionStatus.Stopped }, cancellationToken);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Stops background training and serving without changing what is recorded, so a restart resumes.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        foreach (var slot in _versions.Values)
        {
            if (slot.Training is { } training)
            {
                await training.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (slot.Pool is { } pool)
            {
                slot.Pool = null;
                await pool.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync(CancellationToken.None);
        lock (_backboneLock)
        {
            _backbone?.Dispose();
            _backbone = null;
            _extractor = null;
        }

        _stopping.Dispose();
    }

    /// <inheritdoc />
    public bool LearnsFromRejectedImages => true;

    /// <inheritdoc />
    public async Task<ProjectVersion> CreateProjectVersionAsync(CreateProjectVersionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectKey.ValidateSegment(request.VersionName, "version name");
        ObjectKey.Validate(request.TrainingManifestKey);
        if (request.TestManifestKey is not null)
        {
            ObjectKey.Validate(request.TestManifestKey);
        }

        if (request.NegativesManifestKey is not null)
        {
            ObjectKey.Validate(request.NegativesManifestKey);
        }

        var now = _time.GetUtcNow();
        var version = new ProjectVersion
        {
            VersionName = request.VersionName,
            ProjectVersionArn = $"arn:aws:rekognition:local:000000000000:project/customlabels/version/{request.VersionName}/{now.ToUnixTimeMilliseconds()}",
            Status = ProjectVersionStatus.TrainingInProgress,
            StatusMessage = "Training has started.",
            CreationTimestamp = now,
            TrainingProgress = 0,
            TrainingManifestKey = request.TrainingManifestKey,
            TestManifestKey = request.TestManifestKey,
            NegativesManifestKey = request.NegativesManifestKey,
        };

        var slot = new VersionSlot(version);
        if (!_versions.TryAdd(request.VersionName, slot) || Directory.Exists(VersionDirectory(request.VersionName)))
        {
            _versions.TryRemove(new KeyValuePair<string, VersionSlot>(request.VersionName, slot));
            throw new ProjectVersionConflictException($"A project version named '{request.VersionName}' already exists.");
        }

        Directory.CreateDirectory(VersionDirectory(request.VersionName));
        await UpdateAsync(slot, v => v, cancellationToken);
        slot.Training = Task.Run(() => TrainInBackgroundAsync(slot, request, _stopping.Token), CancellationToken.None);
        return slot.Version;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ProjectVersion>> DescribeProjectVersionsAsync(
        IReadOnlyCollection<string>? versionNames = null,
        CancellationToken cancellationToken = default)
    {
        IEnumerable<ProjectVersion> versions = _versions.Values.Select(s => s.Version);
        if (versionNames is not null)
        {
            var wanted = versionNames.ToHashSet(StringComparer.Ordinal);
            versions = versions.Where(v => wanted.Contains(v.VersionName));
        }

        return Task.FromResult<IReadOnlyList<ProjectVersion>>([.. versions.OrderByDescending(v => v.CreationTimestamp).ThenByDescending(v => v.VersionName, StringComparer.Ordinal)]);
    }

    /// <inheritdoc />
    public async Task<ProjectVersion> StartProjectVersionAsync(string versionName, int minInferenceUnits, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minInferenceUnits, 1);
        var slot = Find(versionName);
        lock (slot)
        {
            if (slot.Version.Status is ProjectVersionStatus.Running or ProjectVersionStatus.Starting)
            {
                return slot.Version;
            }

            if (slot.Version.Status is not (ProjectVersionStatus.TrainingCompleted or ProjectVersionStatus.Stopped or ProjectVersionStatus.Failed))
            {
                throw new ProjectVersionConflictException(
                    $"Version '{versionName}' is {slot.Version.Status}; only a trained or stopped version can be started.");
            }

            slot.Version = slot.Version with { Status = ProjectVersionStatus.Starting, StatusMessage = null, MinInferenceUnits = minInferenceUnits };
        }

        await UpdateAsync(slot, v => v, cancellationToken);
        _ = Task.Run(() => BringUpAsync(slot, minInferenceUnits, _stopping.Token), CancellationToken.None);
        return slot.Version;
    }

    /// <inheritdoc />
    public async Task<ProjectVersion> StopProjectVersionAsync(string versionName, CancellationToken cancellationToken = default)
    {
        var slot = Find(versionName);
        lock (slot)
        {
            if (slot.Version.Status is ProjectVersionStatus.Stopped or ProjectVersionStatus.Stopping)
            {
                return slot.Version;
            }

            if (slot.Version.Status is not (ProjectVersionStatus.Running or ProjectVersionStatus.Starting))
            {
                throw new ProjectVersionConflictException($"Version '{versionName}' is {slot.Version.Status}; only a running version can be stopped.");
            }

            slot.Version = slot.Version with { Status = ProjectVersionStatus.Stopping };
        }

        await UpdateAsync(slot, v => v, cancellationToken);
        _ = Task.Run(async () =>
        {
            await slot.StartGate.WaitAsync(CancellationToken.None);
            try
            {
                if (slot.Pool is { } pool)
                {
                    slot.Pool = null;
                    await pool.DisposeAsync();
                }

                slot.Head = null;
                await UpdateAsync(slot, v => v with { Status = ProjectVersionStatus.Stopped }, CancellationToken.None);
            }
            finally
            {
                slot.StartGate.Release();
            }
        }, CancellationToken.None);
        return slot.Version;
    }

    /// <inheritdoc />
    public Task<DetectCustomLabelsResult> DetectCustomLabelsAsync(DetectCustomLabelsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_versions.TryGetValue(request.VersionName, out var slot) || slot.Version.Status != ProjectVersionStatus.Running || slot.Pool is not { } pool)
        {
            throw new ModelNotRunningException($"Version '{request.VersionName}' is not running.");
        }

        if (request.MinConfidence is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.MinConfidence, "MinConfidence must be between 0 and 100.");
        }

        if (request.MaxResults is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.MaxResults, "MaxResults must not be negative.");
        }

        // The header is checked before the request waits for a worker, so bad input is refused at once.
        ImageInspector.Inspect(request.Image.Span);
        return DetectQueuedAsync(pool, request, cancellationToken);
    }

    /// <summary>Waits until a version's status satisfies <paramref name="done"/> (for callers that poll in process).</summary>
    internal async Task<ProjectVersion> WaitForAsync(string versionName, Func<ProjectVersion, bool> done, CancellationToken cancellationToken)
    {
        var changed = new SemaphoreSlim(0);
        using var subscription = _events.Subscribe(e =>
        {
            if (e.Kind == PipelineEventKind.ProjectVersion && e.Id == versionName)
            {
                changed.Release();
            }
        });
        while (true)
        {
            var version = Find(versionName).Version;
            if (done(version))
            {
                return version;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The running version's pool, for measuring its queue.</summary>
    internal InferencePool? PoolOf(string versionName) => _versions.TryGetValue(versionName, out var slot) ? slot.Pool : null;

    /// <summary>
    /// Scores one image with a head (the pipeline of one detection, without the queue). The image's region features
    /// are kept in the embedding cache by content hash, so that an image a reviewer answers trains without another
    /// backbone pass, and an image sent twice is embedded once.
    /// </summary>
    internal DetectCustomLabelsResult Detect(OpenSetHead head, byte[] image, float minConfidence, int? maxResults)
    {
        var extractor = Extractor;
#pragma warning disable CA5351 // MD5 is the object's ETag, an identity of content.
        var hash = Convert.ToHexStringLower(MD5.HashData(image));
#pragma warning restore CA5351
        var recipe = DetectionCacheRecipe(extractor);
        var regions = _cache.TryRead(recipe, hash)?.Embeddings;
        if (regions is null)
        {
            using var decoded = ImagePixels.Decode(image);
            regions = extractor.ExtractForDetection(decoded);
            EmbeddingCache.RoundAsStored(regions);

            // The write is off the detection's path; a detection that finds no entry embeds again, and scores the same.
            var kept = regions;
            _ = Task.Run(() => WriteDetectionCacheEntry(recipe, hash, kept), CancellationToken.None);
        }

        return Result(head, head.Best(regions), extractor.DetectionBoxes, minConfidence, maxResults);
    }

    private static string DetectionCacheRecipe(FeatureExtractor extractor) => $"detect-{extractor.DetectionRecipe}";

    /// <summary>
    /// Rounds an image's detection regions in place as the cache stores them, so that an image scores the same whether
    /// its regions were just computed or read back, and keeps them in the cache.
    /// </summary>
    private void KeepDetectionRegions(string recipe, string hash, float[] regions)
    {
        EmbeddingCache.RoundAsStored(regions);
        WriteDetectionCacheEntry(recipe, hash, regions);
    }

    /// <summary>Writes regions already rounded as stored; a failed write is logged and costs only the cache entry.</summary>
    private void WriteDetectionCacheEntry(string recipe, string hash, float[] regions)
    {
        var rows = regions.Length / RegionFeatures.Dimension;
        try
        {
            _cache.Write(recipe, hash, new ImageSamples(new SampleRole[rows], new byte[rows], regions));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full or read-only disk costs the cache, never the detection or the training.
            LogCacheWriteFailed(hash, e.Message);
        }

        if (Interlocked.Increment(ref _detectionCacheWrites) % DetectionCacheTrimInterval == 0)
        {
            _ = Task.Run(() => _cache.Trim(recipe, _options.DetectionCacheEntries));
        }
    }

    private static DetectCustomLabelsResult Result(OpenSetHead head, (float Score, int Region)[] best, BoundingBox[] boxes, float minConfidence, int? maxResults)
    {
        var labels = best.Select((b, i) => new CustomLabel(
                head.Labels[i],
                MathF.Round(head.Confidence(b.Score), 3),
                b.Region >= 0 && b.Region < boxes.Length ? new LabelGeometry(Rounded(boxes[b.Region])) : null))
            .Where(l => l.Confidence >= minConfidence)
            .OrderByDescending(l => l.Confidence)
            .ThenBy(l => l.Name, StringComparer.Ordinal);
        return new DetectCustomLabelsResult([.. maxResults is { } max ? labels.Take(max) : labels]);
    }

    private static BoundingBox Rounded(BoundingBox box) =>
        new(MathF.Round(box.Left, 4), MathF.Round(box.Top, 4), MathF.Round(box.Width, 4), MathF.Round(box.Height, 4));

    private static async Task<DetectCustomLabelsResult> DetectQueuedAsync(InferencePool pool, DetectCustomLabelsRequest request, CancellationToken cancellationToken)
    {
        var all = await pool.DetectAsync(request.Image.ToArray(), cancellationToken).WaitAsync(cancellationToken);
        var labels = all.CustomLabels.Where(l => l.Confidence >= (request.MinConfidence ?? 0));
        return new DetectCustomLabelsResult([.. request.MaxResults is { } max ? labels.Take(max) : labels]);
    }

    private async Task BringUpAsync(VersionSlot slot, int units, CancellationToken cancellationToken)
    {
        await slot.StartGate.WaitAsync(CancellationToken.None);
        try
        {
            var head = await Task.Run(() => HeadFile.Read(Path.Combine(VersionDirectory(slot.Version.VersionName), HeadFileName)), cancellationToken);
            _ = Extractor; // loads the backbone before the version reports RUNNING
            slot.Head = head;
            slot.Pool = new InferencePool(units, (image, _) => Detect(head, image, 0, null));
            await UpdateAsync(slot, v => v with { Status = ProjectVersionStatus.Running, StatusMessage = null, MinInferenceUnits = units }, CancellationToken.None);
            LogStarted(slot.Version.VersionName, units);
        }
#pragma warning disable CA1031 // A start failure is the version's FAILED status, with its reason.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogStartFailed(slot.Version.VersionName, e);
            await UpdateAsync(slot, v => v with { Status = ProjectVersionStatus.Failed, StatusMessage = $"The version could not start: {e.Message}" }, CancellationToken.None);
        }
        finally
        {
            slot.StartGate.Release();
        }
    }

    private VersionSlot Find(string versionName) =>
        _versions.TryGetValue(versionName, out var slot)
            ? slot
            : throw new ProjectVersionNotFoundException($"No project version is named '{ObjectKey.Printable(versionName)}'.");

    private string VersionDirectory(string versionName) => Path.Combine(ModelsDirectory, ObjectKey.ValidateSegment(versionName, "version name"));

    private async Task UpdateAsync(VersionSlot slot, Func<ProjectVersion, ProjectVersion> change, CancellationToken cancellationToken)
    {
        ProjectVersion version;
        lock (slot)
        {
            slot.Version = change(slot.Version);
            version = slot.Version;
        }

        await slot.WriteGate.WaitAsync(cancellationToken);
        try
        {
            var path = Path.Combine(VersionDirectory(version.VersionName), VersionFile);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            await File.WriteAllBytesAsync(temp, JsonSerializer.SerializeToUtf8Bytes(slot.Version, StateJson), cancellationToken);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            slot.WriteGate.Release();
        }

        _events.Publish(new PipelineEvent(PipelineEventKind.ProjectVersion, version.VersionName));
    }

    /// <summary>One version: its description, and when it runs, its head and workers.</summary>
    private sealed class VersionSlot(ProjectVersion version)
    {
        public ProjectVersion Version { get; set; } = version;

        public OpenSetHead? Head { get; set; }

        public InferencePool? Pool { get; set; }

        public Task? Training { get; set; }

        public SemaphoreSlim WriteGate { get; } = new(1, 1);

        public SemaphoreSlim StartGate { get; } = new(1, 1);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not keep the detection regions of {Hash} in the embedding cache: {Reason}")]
    private partial void LogCacheWriteFailed(string hash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped the unreadable version file {File}: {Reason}")]
    private partial void LogUnreadableVersion(string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloading version {Version}, which was running when the service stopped")]
    private partial void LogReloading(string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training version {Version} again, from its manifest: the service stopped while it trained")]
    private partial void LogResumingTraining(string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Version {Version} is running with {Units} inference units")]
    private partial void LogStarted(string version, int units);

    [LoggerMessage(Level = LogLevel.Error, Message = "Version {Version} failed to start")]
    private partial void LogStartFailed(string version, Exception exception);
}
