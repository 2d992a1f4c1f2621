namespace CustomLabels.Core;

/// <summary>What changed in the pipeline, for live views.</summary>
public enum PipelineEventKind
{
    /// <summary>An execution started, moved or ended.</summary>
    Execution,

    /// <summary>A project version changed status or progress.</summary>
    ProjectVersion,

    /// <summary>A human loop was created, answered or stopped.</summary>
    HumanLoop,

    /// <summary>A parameter changed.</summary>
    Parameter,

    /// <summary>The training set changed.</summary>
    TrainingImages,

    /// <summary>A detection was logged.</summary>
    Detection,

    /// <summary>A notification was published.</summary>
    Notification,
}

/// <summary>One change: its kind and the id of what changed (execution id, version, loop name, ...).</summary>
public sealed record PipelineEvent(PipelineEventKind Kind, string? Id = null);

/// <summary>
/// An in-process broadcast of pipeline changes, so that dashboard pages update live. A singleton; publishers
/// never wait for subscribers, and a subscriber that throws does not stop the others.
/// </summary>
public sealed class PipelineEvents
{
    private readonly Lock _lock = new();
    private Action<PipelineEvent>[] _subscribers = [];

    /// <summary>Tells every subscriber.</summary>
    public void Publish(PipelineEvent change)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try
            {
                subscriber(change);
            }
#pragma warning disable CA1031 // One failing view must not break the pipeline that published.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>Subscribes; dispose the result to unsubscribe.</summary>
    public IDisposable Subscribe(Action<PipelineEvent> subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        return new Subscription(this, subscriber);
    }

    private void Unsubscribe(Action<PipelineEvent> subscriber)
    {
        lock (_lock)
        {
            _subscribers = [.. _subscribers.Where(s => s != subscriber)];
        }
    }

    private sealed class Subscription(PipelineEvents owner, Action<PipelineEvent> subscriber) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(subscriber);
            }
        }
    }
}
