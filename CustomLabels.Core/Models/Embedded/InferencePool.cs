using System.Threading.Channels;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// A running version's capacity: as many workers as inference units, each serving one detection at a time. Detections
/// beyond capacity wait in an unbounded queue; they never fail for want of a worker.
/// </summary>
internal sealed class InferencePool : IAsyncDisposable
{
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Func<byte[], CancellationToken, DetectCustomLabelsResult> _detect;
    private readonly Task[] _workers;
    private int _busy;

    public InferencePool(int units, Func<byte[], CancellationToken, DetectCustomLabelsResult> detect)
    {
        _detect = detect;
        Units = units;
        _workers = [.. Enumerable.Range(0, units).Select(_ => Task.Run(WorkAsync))];
    }

    public int Units { get; }

    /// <summary>Detections being served now.</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Detections waiting for a worker.</summary>
    public int Queued => _queue.Reader.CanCount ? _queue.Reader.Count : 0;

    public Task<DetectCustomLabelsResult> DetectAsync(byte[] image, CancellationToken cancellationToken)
    {
        var job = new Job(image, cancellationToken);
        if (!_queue.Writer.TryWrite(job))
        {
            throw new ModelNotRunningException("The model version is stopping.");
        }

        return job.Completion.Task;
    }

    /// <summary>Stops taking detections, lets the queued ones finish, and waits for the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers);
    }

    private async Task WorkAsync()
    {
        await foreach (var job in _queue.Reader.ReadAllAsync())
        {
            if (job.CancellationToken.IsCancellationRequested)
            {
                job.Completion.TrySetCanceled(job.CancellationToken);
                continue;
            }

            Interlocked.Increment(ref _busy);
            try
            {
                job.Completion.TrySetResult(_detect(job.Image, job.CancellationToken));
            }
#pragma warning disable CA1031 // The caller gets the failure; the worker serves the next detection.
            catch (Exception e)
#pragma warning restore CA1031
            {
                job.Completion.TrySetException(e);
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
            }
        }
    }

    private sealed record Job(byte[] Image, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<DetectCustomLabelsResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
