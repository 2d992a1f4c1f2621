namespace CustomLabels.Core.Notifications;

/// <summary>
/// Notifications (the SNS topics of the AWS design): messages for the operator and for consumers, kept as a feed
/// for the dashboard, and sent by SMTP or a webhook when either is configured.
/// </summary>
public interface INotifier
{
    /// <summary>Publishes a message to a topic.</summary>
    Task PublishAsync(Notification notification, CancellationToken cancellationToken = default);

    /// <summary>The feed, newest first, filtered and paged.</summary>
    Task<NotificationPage> QueryAsync(NotificationQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Who a message is for.</summary>
public enum NotificationTopic
{
    /// <summary>Operators: training, deployment, parameter changes, failures.</summary>
    Operator,

    /// <summary>Consumers: detection results.</summary>
    Consumer,
}

/// <summary>One message.</summary>
/// <param name="Topic">Operator or consumer.</param>
/// <param name="Subject">A one-line subject.</param>
/// <param name="Message">The body.</param>
/// <param name="Time">When it was published.</param>
/// <param name="Severity">info, success, warning or error.</param>
/// <param name="ExecutionId">The execution that published it, if any.</param>
public sealed record Notification(
    NotificationTopic Topic,
    string Subject,
    string Message,
    DateTimeOffset Time,
    string Severity = "info",
    string? ExecutionId = null)
{
    /// <summary>The feed's id, assigned when stored.</summary>
    public long Id { get; init; }

    /// <summary>
    /// Identifies the event the message reports (e.g. an execution's step). Publishing again with the same id
    /// stores and sends nothing, so a step that runs again after a crash does not notify twice. Default: none.
    /// </summary>
    public string? DeduplicationId { get; init; }
}

/// <summary>Which notifications to list.</summary>
public sealed record NotificationQuery(NotificationTopic? Topic = null, string? Search = null, string? NextToken = null, int MaxResults = 50);

/// <summary>A page of notifications.</summary>
public sealed record NotificationPage(IReadOnlyList<Notification> Items, string? NextToken);
