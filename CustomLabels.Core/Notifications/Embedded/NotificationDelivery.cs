using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Notifications.Embedded;

/// <summary>One way of sending notifications out (mail, webhook).</summary>
internal interface INotificationSender
{
    /// <summary>A short name for logs, e.g. <c>smtp</c>.</summary>
    string Name { get; }

    /// <summary>Whether this sender is configured and wants this message.</summary>
    bool Accepts(Notification notification);

    /// <summary>Sends one message; throws when it could not.</summary>
    Task SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>
/// The queue between the feed and the senders. Publishing only enqueues; <see cref="NotificationDeliveryService"/>
/// drains the queue. A failed delivery is logged and dropped: notifications never fail the workflow.
/// </summary>
internal sealed partial class NotificationDelivery
{
    private readonly Channel<Notification> _queue;
    private readonly IReadOnlyList<INotificationSender> _senders;
    private readonly ILogger<NotificationDelivery> _logger;

    public NotificationDelivery(IEnumerable<INotificationSender> senders, IOptions<NotificationOptions> options, ILogger<NotificationDelivery> logger)
    {
        _senders = [.. senders];
        _logger = logger;
        _queue = Channel.CreateBounded<Notification>(
            new BoundedChannelOptions(options.Value.QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => LogDropped(_logger, dropped.Id));
    }

    /// <summary>Queues a stored notification for the senders that want it.</summary>
    public void Enqueue(Notification notification)
    {
        if (_senders.Any(s => s.Accepts(notification)))
        {
            _queue.Writer.TryWrite(notification);
        }
    }

    /// <summary>Delivers queued messages until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (var notification in _queue.Reader.ReadAllAsync(cancellationToken))
        {
            await DeliverAsync(notification, cancellationToken);
        }
    }

    /// <summary>Sends one message through every sender that wants it; logs, never throws, on failure.</summary>
    public async Task DeliverAsync(Notification notification, CancellationToken cancellationToken)
    {
        foreach (var sender in _senders.Where(s => s.Accepts(notification)))
        {
            try
            {
                await sender.SendAsync(notification, cancellationToken);
                LogDelivered(_logger, notification.Id, sender.Name);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A failed delivery is reported in the log; the feed still holds the message.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogFailed(_logger, notification.Id, sender.Name, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Notification {Id} delivered by {Sender}")]
    private static partial void LogDelivered(ILogger logger, long id, string sender);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Id} could not be delivered by {Sender}")]
    private static partial void LogFailed(ILogger logger, long id, string sender, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Id} was not delivered: the delivery queue is full")]
    private static partial void LogDropped(ILogger logger, long id);
}

/// <summary>Drains the delivery queue for the life of the process.</summary>
internal sealed class NotificationDeliveryService(NotificationDelivery delivery) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await delivery.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }
}
