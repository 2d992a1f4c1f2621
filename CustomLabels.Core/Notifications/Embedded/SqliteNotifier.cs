using System.Globalization;
using CustomLabels.Core.Data;
using Microsoft.Data.Sqlite;

namespace CustomLabels.Core.Notifications.Embedded;

/// <summary>
/// The embedded notifier: every message joins a searchable feed in SQLite (the dashboard reads it), then goes to
/// the configured deliveries (SMTP, webhook) in the background, so a slow or failing mail server never holds up
/// or fails the workflow.
/// </summary>
internal sealed class SqliteNotifier(SqliteDatabase database, NotificationDelivery delivery, PipelineEvents events) : INotifier
{
    public static readonly ISqliteMigration Migration = new SqliteMigration(
        "0420-notifications",
        """
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT NOT NULL,
            subject TEXT NOT NULL,
            message TEXT NOT NULL,
            time TEXT NOT NULL,
            severity TEXT NOT NULL,
            execution_id TEXT,
            deduplication_id TEXT UNIQUE
        );
        CREATE INDEX notifications_topic ON notifications (topic, id);
        """);

    private static readonly string[] Severities = ["info", "success", "warning", "error"];

    public async Task PublishAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentException.ThrowIfNullOrWhiteSpace(notification.Subject);
        if (!Severities.Contains(notification.Severity, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"'{notification.Severity}' is not a severity; use one of {string.Join(", ", Severities)}.", nameof(notification));
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO notifications (topic, subject, message, time, severity, execution_id, deduplication_id)
            VALUES ($topic, $subject, $message, $time, $severity, $execution, $dedup)
            ON CONFLICT (deduplication_id) DO NOTHING
            RETURNING id;
            """;
        command.Parameters.AddWithValue("$topic", notification.Topic.ToString());
        command.Parameters.AddWithValue("$subject", notification.Subject);
        command.Parameters.AddWithValue("$message", notification.Message ?? string.Empty);
        command.Parameters.AddWithValue("$time", notification.Time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$severity", notification.Severity);
        command.Parameters.AddWithValue("$execution", (object?)notification.ExecutionId ?? DBNull.Value);
        command.Parameters.AddWithValue("$dedup", (object?)notification.DeduplicationId ?? DBNull.Value);
        var id = await command.ExecuteScalarAsync(cancellationToken);
        if (id is null)
        {
            return; // published before under the same deduplication id
        }

        var stored = notification with { Id = (long)id };
        events.Publish(new PipelineEvent(PipelineEventKind.Notification, stored.Id.ToString(CultureInfo.InvariantCulture)));
        delivery.Enqueue(stored);
    }

    public async Task<NotificationPage> QueryAsync(NotificationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.MaxResults, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.MaxResults, 500);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.Topic is { } topic)
        {
            where.Add("topic = $topic");
            command.Parameters.AddWithValue("$topic", topic.ToString());
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            where.Add("(subject LIKE $search ESCAPE '\\' OR message LIKE $search ESCAPE '\\')");
            command.Parameters.AddWithValue("$search", SqlLike.Contains(query.Search.Trim()));
        }

        var (items, next) = await KeysetPage.ReadAsync(
            command,
            "SELECT id, topic, subject, message, time, severity, execution_id, deduplication_id FROM notifications",
            where, "id", ascending: false, query.NextToken, query.MaxResults, Read, item => item.Id, cancellationToken);
        return new NotificationPage(items, next);
    }

    private static Notification Read(SqliteDataReader reader) =>
        new(
            Enum.Parse<NotificationTopic>(reader.GetString(1)),
            reader.GetString(2),
            reader.GetString(3),
            DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6))
        {
            Id = reader.GetInt64(0),
            DeduplicationId = reader.IsDBNull(7) ? null : reader.GetString(7),
        };
}
