using System.Globalization;
using Amazon.DynamoDBv2.Model;
using CustomLabels.Core.Aws;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Notifications.Aws;

/// <summary>
/// Notifications in AWS. SNS cannot be read back, so each message is kept in the pipeline's table as the feed
/// (partition <c>notification</c>, by ordinal) and then published to the SNS topic (<see cref="AwsOptions.TopicArn"/>)
/// with a <c>topic</c> message attribute (Operator or Consumer) that subscriptions can filter on. The Lambda
/// functions publish through the same class, so the dashboard's feed shows what the pipeline said in the cloud.
/// A message with a deduplication id is stored and sent once (a marker item <c>notified#&lt;id&gt;</c>).
/// </summary>
public sealed class SnsNotifier : INotifier
{
    /// <summary>SNS takes subjects of fewer than 100 characters; this is the most a published subject has.</summary>
    public const int MaxSubjectLength = 99;

    private const string Partition = "notification";

    private readonly AwsJsonClient _sns;
    private readonly DynamoDbTable _table;
    private readonly string? _topicArn;
    private readonly PipelineEvents _events;

    /// <summary>Creates the notifier over an SNS client and the pipeline's table.</summary>
    public SnsNotifier(AwsJsonClient sns, DynamoDbTable table, IOptions<AwsOptions> options, PipelineEvents events)
    {
        ArgumentNullException.ThrowIfNull(options);
        _sns = sns;
        _table = table;
        _topicArn = options.Value.TopicArn;
        _events = events;
    }

    /// <inheritdoc />
    public async Task PublishAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (notification.DeduplicationId is { } deduplicationId
            && !await _table.PutIfAbsentAsync(DynamoDbTable.Key($"notified#{deduplicationId}", Partition), cancellationToken))
        {
            return; // published before, by a step that has run again
        }

        var sequence = await _table.NextSequenceAsync(Partition, cancellationToken);
        var item = DynamoDbTable.Key(Partition, DynamoDbTable.SortableSequence(sequence));
        item["id"] = new AttributeValue { N = sequence.ToString(CultureInfo.InvariantCulture) };
        item["topic"] = new AttributeValue { S = notification.Topic.ToString() };
        item["subject"] = new AttributeValue { S = notification.Subject };
        item["message"] = new AttributeValue { S = notification.Message };
        item["time"] = new AttributeValue { S = notification.Time.ToString("O", CultureInfo.InvariantCulture) };
        item["severity"] = new AttributeValue { S = notification.Severity };
        if (notification.ExecutionId is not null)
        {
            item["executionId"] = new AttributeValue { S = notification.ExecutionId };
        }

        await _table.PutIfAbsentAsync(item, cancellationToken);
        _events.Publish(new PipelineEvent(PipelineEventKind.Notification, sequence.ToString(CultureInfo.InvariantCulture)));
        if (!string.IsNullOrEmpty(_topicArn))
        {
            await _sns.CallQueryAsync("Publish", PublishParameters(_topicArn, notification), cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<NotificationPage> QueryAsync(NotificationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var search = string.IsNullOrWhiteSpace(query.Search) ? null : query.Search.Trim();
        var (items, next) = await _table.QueryPartitionAsync(
            Partition,
            ascending: false,
            afterSortKey: string.IsNullOrEmpty(query.NextToken) ? null : query.NextToken,
            lowerBoundExclusive: null,
            Math.Clamp(query.MaxResults, 1, 500),
            item => (query.Topic is null || Text(item, "topic") == query.Topic.ToString())
                    && (search is null
                        || Text(item, "subject")?.Contains(search, StringComparison.OrdinalIgnoreCase) == true
                        || Text(item, "message")?.Contains(search, StringComparison.OrdinalIgnoreCase) == true),
            cancellationToken);
        return new NotificationPage([.. items.Select(FromItem)], next);
    }

    /// <summary>The Query-protocol parameters of SNS Publish for a notification.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> PublishParameters(string topicArn, Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return
        [
            new("TopicArn", topicArn),
            new("Subject", SubjectOf(notification.Subject)),
            new("Message", notification.Message),
            new("MessageAttributes.entry.1.Name", "topic"),
            new("MessageAttributes.entry.1.Value.DataType", "String"),
            new("MessageAttributes.entry.1.Value.StringValue", notification.Topic.ToString()),
            new("MessageAttributes.entry.2.Name", "severity"),
            new("MessageAttributes.entry.2.Value.DataType", "String"),
            new("MessageAttributes.entry.2.Value.StringValue", notification.Severity),
        ];
    }

    /// <summary>
    /// A subject SNS accepts: ASCII without control characters, fewer than 100 characters, beginning with a letter, a
    /// number or punctuation. Accents are dropped (é becomes e), other characters become '?', and a long subject is
    /// cut with an ellipsis. The feed keeps the subject as it was.
    /// </summary>
    public static string SubjectOf(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var ascii = new System.Text.StringBuilder(subject.Length);
        foreach (var c in subject.Normalize(System.Text.NormalizationForm.FormD))
        {
            if (char.IsAscii(c))
            {
                ascii.Append(char.IsControl(c) ? ' ' : c);
            }
            else if (System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                ascii.Append(char.IsWhiteSpace(c) ? ' ' : '?');
            }
        }

        var text = string.Join(' ', ascii.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (text.Length == 0)
        {
            return "CustomLabels notification";
        }

        return text.Length > MaxSubjectLength ? text[..(MaxSubjectLength - 3)].TrimEnd() + "..." : text;
    }

    private static string? Text(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S : null;

    private static Notification FromItem(Dictionary<string, AttributeValue> item) =>
        new(
            Enum.TryParse<NotificationTopic>(Text(item, "topic"), out var topic) ? topic : NotificationTopic.Operator,
            Text(item, "subject") ?? string.Empty,
            Text(item, "message") ?? string.Empty,
            DateTimeOffset.Parse(Text(item, "time") ?? "1970-01-01T00:00:00Z", CultureInfo.InvariantCulture),
            Text(item, "severity") ?? "info",
            Text(item, "executionId"))
        {
            Id = long.Parse(item["id"].N, CultureInfo.InvariantCulture),
        };
}
