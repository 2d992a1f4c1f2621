using System.Collections.Concurrent;
using System.Threading.Channels;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Embedded;

/// <summary>
/// Starts one execution (<see cref="WorkflowEvents.ObjectCreated"/>) for each object created under
/// <c>images_for_detection/</c> and each <c>output.json</c> under <c>a2i-human-loop-data/</c>, whichever way it
/// arrived: written through the store (its ObjectCreated event), dropped into the bucket folder by hand (a folder
/// watcher, after the file has stopped changing), or missed by both (a scan at start and at an interval, because
/// watchers drop events). Empty files are passed over as copies not yet begun. The execution's name is derived from the key and ETag, and the execution row is the
/// durable record: the same object never starts two executions, across restarts too.
/// </summary>
internal sealed partial class ObjectCreatedSource(
    FileObjectStore store,
    IWorkflowService workflow,
    IOptions<WorkflowOptions> options,
    TimeProvider time,
    ILogger<ObjectCreatedSource> logger) : BackgroundService
{
    private readonly Channel<ObjectInfo> _created = Channel.CreateUnbounded<ObjectInfo>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _dropped = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<bool> _rescan = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unsettled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _started = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TaskCompletionSource> _scanWaiters = new();
    private FileSystemWatcher? _watcher;

    /// <summary>Whether objects under this key start executions.</summary>
    public static bool IsWatched(string key) =>
        key.StartsWith(BucketLayout.DetectionImages, StringComparison.Ordinal)
        || (key.StartsWith(BucketLayout.HumanLoopOutput, StringComparison.Ordinal) && key.EndsWith("/output.json", StringComparison.Ordinal));

    /// <summary>Scans the bucket now for objects that no event reported.</summary>
    public void RequestScan() => _rescan.Writer.TryWrite(true);

    /// <summary>Scans the bucket now and returns when a whole scan has gone through it.</summary>
    public Task ScanNowAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _scanWaiters.Enqueue(done);
        RequestScan();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Listens to the store and the folder before the host's start returns (the loops that act on what they hear run
    /// in the background), so that an object written just after the start is heard.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        store.ObjectCreated += OnObjectCreated;
        _watcher = new FileSystemWatcher(store.BucketDirectory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Created += OnFileEvent;
        _watcher.Changed += OnFileEvent;
        _watcher.Renamed += OnFileEvent;
        _watcher.Error += OnWatcherError;
        _watcher.EnableRaisingEvents = true;
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        store.ObjectCreated -= OnObjectCreated;
        if (_watcher is not null)
        {
            _watcher.EnableRaisingEvents = false;
        }

        await base.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _watcher?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The watcher is on already, so nothing created during the first scan falls between the two.
            await Task.WhenAll(
                ScanLoopAsync(stoppingToken),
                CreatedLoopAsync(stoppingToken),
                DroppedLoopAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private void OnObjectCreated(object? sender, ObjectInfo info)
    {
        if (IsWatched(info.Key))
        {
            _created.Writer.TryWrite(info);
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (store.KeyOf(e.FullPath) is { } key && IsWatched(key))
        {
            _unsettled[key] = time.GetUtcNow();
            _dropped.Writer.TryWrite(true);
        }
        else if (e.ChangeType is WatcherChangeTypes.Created or WatcherChangeTypes.Renamed && Directory.Exists(e.FullPath))
        {
            // A folder moved in whole brings files that raise no events of their own.
            RequestScan();
        }
    }

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        LogWatcherOverflow(logger, e.GetException());
        RequestScan();
    }

    private async Task CreatedLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var info in _created.Reader.ReadAllAsync(cancellationToken))
        {
            await StartGuardedAsync(info, cancellationToken);
        }
    }

    private async Task DroppedLoopAsync(CancellationToken cancellationToken)
    {
        var settle = TimeSpan.FromMilliseconds(options.Value.ObjectSettleMilliseconds);
        while (await _dropped.Reader.WaitToReadAsync(cancellationToken))
        {
            _dropped.Reader.TryRead(out _);
            while (!_unsettled.IsEmpty)
            {
                var now = time.GetUtcNow();
                foreach (var (key, seen) in _unsettled)
                {
                    if (now - seen < settle)
                    {
                        continue;
                    }

                    _unsettled.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, seen));

                    // An empty file is a copy that has not begun writing yet; its content raises another event.
                    if (await HeadAsync(key, cancellationToken) is { Size: > 0 } info)
                    {
                        await StartGuardedAsync(info, cancellationToken);
                    }
                }

                var oldest = _unsettled.Values.DefaultIfEmpty(now).Min();
                var wait = oldest + settle - time.GetUtcNow();
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), time, cancellationToken);
            }
        }
    }

    private async Task ScanLoopAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.ReconcileIntervalSeconds);
        var settle = TimeSpan.FromMilliseconds(options.Value.ObjectSettleMilliseconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            var waiters = new List<TaskCompletionSource>();
            while (_scanWaiters.TryDequeue(out var waiter))
            {
                waiters.Add(waiter);
            }

            try
            {
                var started = 0;
                foreach (var prefix in new[] { BucketLayout.DetectionImages, BucketLayout.HumanLoopOutput })
                {
                    await foreach (var info in store.ListAllAsync(prefix, cancellationToken))
                    {
                        if (!IsWatched(info.Key) || _unsettled.ContainsKey(info.Key) || info.Size == 0)
                        {
                            continue;
                        }

                        if (time.GetUtcNow() - info.LastModified < settle)
                        {
                            // Perhaps still being copied in: let it settle first, as a watched file would.
                            _unsettled.TryAdd(info.Key, time.GetUtcNow());
                            _dropped.Writer.TryWrite(true);
                        }
                        else if (await StartGuardedAsync(info, cancellationToken))
                        {
                            started++;
                        }
                    }
                }

                if (started > 0)
                {
                    LogScanStarted(logger, started);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                waiters.ForEach(w => w.TrySetCanceled(cancellationToken));
                return;
            }
#pragma warning disable CA1031 // A failed scan is repeated at the next interval.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogScanFailed(logger, e);
            }

            waiters.ForEach(w => w.TrySetResult());

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(Task.Delay(interval, time, wake.Token), _rescan.Reader.WaitToReadAsync(wake.Token).AsTask());
            await wake.CancelAsync();
            _rescan.Reader.TryRead(out _);
        }
    }

    private async Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await store.HeadAsync(key, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidObjectKeyException)
        {
            // Still being written, or gone again: the next event or scan looks at it afresh.
            return null;
        }
    }

    /// <summary>Starts the object's execution unless this process already did; true when it had not.</summary>
    private async Task<bool> StartGuardedAsync(ObjectInfo info, CancellationToken cancellationToken)
    {
        var name = ExecutionNames.ForObject(info.Key, info.ETag);
        if (_started.ContainsKey(name))
        {
            return false;
        }

        try
        {
            var input = WorkflowEvents.ObjectCreated(options.Value.BucketName, info).ToJsonString();
            await workflow.StartExecutionAsync(input, name, cancellationToken);
            _started[name] = true;
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // One object that cannot start must not stop the others; the next scan tries again.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogStartFailed(logger, ObjectKey.Printable(info.Key), e);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The bucket folder watcher lost events; scanning the bucket")]
    private static partial void LogWatcherOverflow(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The bucket scan found {Count} objects not seen since start; each has its execution")]
    private static partial void LogScanStarted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The bucket scan failed; it runs again at the next interval")]
    private static partial void LogScanFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start the execution for object {Key}; the next scan tries again")]
    private static partial void LogStartFailed(ILogger logger, string key, Exception exception);
}
