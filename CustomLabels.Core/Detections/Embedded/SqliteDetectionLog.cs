using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CustomLabels.Core.Data;
using CustomLabels.Core.Models;
using Microsoft.Data.Sqlite;

namespace CustomLabels.Core.Detections.Embedded;

/// <summary>
/// The embedded detection log: one SQLite row per detection, numbered in the order they were recorded (the
/// sequence that sampling counts), updated when a human loop is created for it and when that loop is answered.
/// </summary>
internal sealed class SqliteDetectionLog(SqliteDatabase database, PipelineEvents events, TimeProvider time) : IDetectionLog
{
    public static readonly ISqliteMigration Migration = new SqliteMigration(
        "0400-detections",
        """
        CREATE TABLE detections (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL UNIQUE,
            time TEXT NOT NULL,
            object_key TEXT NOT NULL,
            image_etag TEXT,
            version_name TEXT,
            label TEXT,
            confidence REAL NOT NULL,
            labels_json TEXT NOT NULL,
            threshold REAL NOT NULL,
            human_loop_name TEXT,
            human_label TEXT,
            copied_key TEXT,
            reviewed_at TEXT,
            requested_by TEXT,
            execution_id TEXT
        );
        CREATE INDEX detections_loop ON detections (human_loop_name);
        CREATE INDEX detections_requested_by ON detections (requested_by, sequence);
        """);

    /// <summary>Where a review's "none of the above" kept the image (<c>images_rejected/</c>).</summary>
    public static readonly ISqliteMigration RejectedKeyMigration = new SqliteMigration(
        "0401-detections-rejected-key",
        "ALTER TABLE detections ADD COLUMN rejected_key TEXT;");

    /// <summary>Who asked, by principal id; rows written before it have none and belong to no caller's own list.</summary>
    public static readonly ISqliteMigration RequesterIdMigration = new SqliteMigration(
        "0402-detections-requester-id",
        """
        ALTER TABLE detections ADD COLUMN requested_by_id TEXT;
        CREATE INDEX detections_requested_by_id ON detections (requested_by_id, sequence);
        """);

    /// <summary>Finds an image's detections by its key (who may see the image).</summary>
    public static readonly ISqliteMigration ObjectKeyMigration = new SqliteMigration(
        "0403-detections-object-key",
        "CREATE INDEX detections_object_key ON detections (object_key);");

    private const string Columns =
        "sequence, request_id, time, object_key, image_etag, version_name, label, confidence, labels_json, threshold, "
        + "human_loop_name, human_label, copied_key, reviewed_at, requested_by, execution_id, rejected_key, requested_by_id";

    // Labels keep their region (Geometry) when they have one; rows written before regions existed read with none.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public async Task RecordDetectionAsync(DetectionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrWhiteSpace(record.RequestId);
        ArgumentException.ThrowIfNullOrWhiteSpace(record.ObjectKey);

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO detections (request_id, time, object_key, image_etag, version_name, label, confidence, labels_json,
                                    threshold, human_loop_name, requested_by, execution_id, requested_by_id)
            VALUES ($request, $time, $key, $etag, $version, $label, $confidence, $labels, $threshold, $loop, $by, $execution, $byId)
            ON CONFLICT (request_id) DO NOTHING
            RETURNING sequence;
            """;
        command.Parameters.AddWithValue("$request", record.RequestId);
        command.Parameters.AddWithValue("$time", Format(record.Time));
        command.Parameters.AddWithValue("$key", record.ObjectKey);
        command.Parameters.AddWithValue("$etag", (object?)record.ImageETag ?? DBNull.Value);
        command.Parameters.AddWithValue("$version", (object?)record.VersionName ?? DBNull.Value);
        command.Parameters.AddWithValue("$label", (object?)record.Label ?? DBNull.Value);
        command.Parameters.AddWithValue("$confidence", record.Confidence);
        command.Parameters.AddWithValue("$labels", JsonSerializer.Serialize(record.Labels, Json));
        command.Parameters.AddWithValue("$threshold", record.Threshold);
        command.Parameters.AddWithValue("$loop", (object?)record.HumanLoopName ?? DBNull.Value);
        command.Parameters.AddWithValue("$by", (object?)record.RequestedBy ?? DBNull.Value);
        command.Parameters.AddWithValue("$execution", (object?)record.ExecutionId ?? DBNull.Value);
        command.Parameters.AddWithValue("$byId", (object?)record.RequesterId ?? DBNull.Value);
        if (await command.ExecuteScalarAsync(cancellationToken) is not null)
        {
            events.Publish(new PipelineEvent(PipelineEventKind.Detection, record.RequestId));
        }
    }

    public async Task RecordHumanLoopAsync(string requestId, string humanLoopName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        ArgumentException.ThrowIfNullOrWhiteSpace(humanLoopName);
        var changed = await UpdateAsync(
            "UPDATE detections SET human_loop_name = $loop WHERE request_id = $request AND (human_loop_name IS NULL OR human_loop_name = $loop);",
            [("$loop", humanLoopName), ("$request", requestId)],
            cancellationToken);
        if (changed == 0)
        {
            var existing = await GetAsync(requestId, cancellationToken)
                ?? throw new KeyNotFoundException($"There is no detection with the request id '{requestId}'.");
            throw new InvalidOperationException(
                $"Detection '{requestId}' already has the human loop '{existing.HumanLoopName}'; it cannot also have '{humanLoopName}'.");
        }

        events.Publish(new PipelineEvent(PipelineEventKind.Detection, requestId));
    }

    public async Task RecordReviewAsync(
        string humanLoopName, string? humanLabel, string? copiedKey, string? rejectedKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(humanLoopName);
        var changed = await UpdateAsync(
            """
            UPDATE detections SET human_label = $label, copied_key = $copied, rejected_key = $rejected, reviewed_at = $at
            WHERE human_loop_name = $loop AND reviewed_at IS NULL;
            """,
            [("$loop", humanLoopName), ("$label", humanLabel), ("$copied", copiedKey), ("$rejected", rejectedKey), ("$at", Format(time.GetUtcNow()))],
            cancellationToken);
        if (changed > 0)
        {
            events.Publish(new PipelineEvent(PipelineEventKind.Detection, humanLoopName));
        }
    }

    public async Task<DetectionRecord?> GetAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM detections WHERE request_id = $request;";
        command.Parameters.AddWithValue("$request", requestId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<DetectionPage> QueryAsync(DetectionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.MaxResults, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.MaxResults, 500);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            where.Add("(object_key LIKE $search ESCAPE '\\' OR label LIKE $search ESCAPE '\\' OR human_label LIKE $search ESCAPE '\\' "
                      + "OR human_loop_name LIKE $search ESCAPE '\\' OR request_id LIKE $search ESCAPE '\\')");
            command.Parameters.AddWithValue("$search", SqlLike.Contains(query.Search.Trim()));
        }

        if (query.RequesterId is not null)
        {
            where.Add("requested_by_id = $byId");
            command.Parameters.AddWithValue("$byId", query.RequesterId);
        }

        if (query.ObjectKey is not null)
        {
            where.Add("object_key = $objectKey");
            command.Parameters.AddWithValue("$objectKey", query.ObjectKey);
        }

        if (query.AfterSequence is { } after)
        {
            where.Add("sequence > $after");
            command.Parameters.AddWithValue("$after", after);
        }

        var (items, next) = await KeysetPage.ReadAsync(
            command, $"SELECT {Columns} FROM detections", where, "sequence", query.OldestFirst, query.NextToken, query.MaxResults,
            Read, item => item.Sequence, cancellationToken);
        return new DetectionPage(items, next);
    }

    private async Task<int> UpdateAsync(string sql, (string Name, string? Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, (object?)value ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static string? Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DetectionRecord Read(SqliteDataReader reader) => new()
    {
        Sequence = reader.GetInt64(0),
        RequestId = reader.GetString(1),
        Time = Parse(reader.GetString(2)),
        ObjectKey = reader.GetString(3),
        ImageETag = Text(reader, 4),
        VersionName = Text(reader, 5),
        Label = Text(reader, 6),
        Confidence = reader.GetFloat(7),
        Labels = JsonSerializer.Deserialize<List<CustomLabel>>(reader.GetString(8), Json) ?? [],
        Threshold = reader.GetFloat(9),
        HumanLoopName = Text(reader, 10),
        HumanLabel = Text(reader, 11),
        CopiedKey = Text(reader, 12),
        ReviewedAt = Text(reader, 13) is { } at ? Parse(at) : null,
        RequestedBy = Text(reader, 14),
        ExecutionId = Text(reader, 15),
        RejectedKey = Text(reader, 16),
        RequesterId = Text(reader, 17),
    };
}
