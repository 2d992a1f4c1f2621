using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.DynamoDBv2.Model;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Models;

namespace CustomLabels.Core.Detections.Aws;

/// <summary>
/// The detection log in AWS: items of the pipeline's DynamoDB table (see <see cref="DynamoDbTable"/>). Each
/// detection gets the next ordinal from an atomic counter and is kept under the partition <c>detection</c>,
/// sorted by it, so listing newest first and "since the last sample" are single queries. Text search filters
/// the read items, case-insensitively, as the embedded log does.
/// </summary>
public sealed class DynamoDbDetectionLog(DynamoDbTable table) : IDetectionLog
{
    private const string Partition = "detection";
    // Labels keep their region (Geometry) when they have one; rows written before regions existed read with none.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private static readonly string[] SearchedAttributes = ["objectKey", "label", "humanLabel", "humanLoopName"];

    /// <inheritdoc />
    public async Task RecordDetectionAsync(DetectionRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrEmpty(record.RequestId);
        var existing = await table.GetAsync(RequestPartition(record.RequestId), "request", cancellationToken);
        long sequence;
        if (existing is null)
        {
            sequence = await table.NextSequenceAsync(Partition, cancellationToken);
            var index = DynamoDbTable.Key(RequestPartition(record.RequestId), "request");
            index["sequence"] = Number(sequence);
            if (!await table.PutIfAbsentAsync(index, cancellationToken))
            {
                // Another writer recorded the same request first; its ordinal stands.
                existing = await table.GetAsync(RequestPartition(record.RequestId), "request", cancellationToken);
                sequence = long.Parse(existing!["sequence"].N, CultureInfo.InvariantCulture);
            }
        }
        else
        {
            sequence = long.Parse(existing["sequence"].N, CultureInfo.InvariantCulture);
        }

        // Written after the index and only if absent, so a crash between the two is mended by recording again.
        await table.PutIfAbsentAsync(ToItem(record with { Sequence = sequence }), cancellationToken);
    }

    /// <inheritdoc />
    public async Task RecordHumanLoopAsync(string requestId, string humanLoopName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(humanLoopName);
        var sequence = await SequenceOfAsync(RequestPartition(requestId), "request", cancellationToken)
                       ?? throw new KeyNotFoundException($"No detection has the request id '{requestId}'.");
        var index = DynamoDbTable.Key(LoopPartition(humanLoopName), Partition);
        index["sequence"] = Number(sequence);
        await table.PutIfAbsentAsync(index, cancellationToken);
        await table.Client.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = table.TableName,
                Key = DynamoDbTable.Key(Partition, DynamoDbTable.SortableSequence(sequence)),
                UpdateExpression = "SET humanLoopName = :loop",
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":loop"] = new AttributeValue { S = humanLoopName } },
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task RecordReviewAsync(
        string humanLoopName, string? humanLabel, string? copiedKey, string? rejectedKey = null, CancellationToken cancellationToken = default)
    {
        var sequence = await SequenceOfAsync(LoopPartition(humanLoopName), Partition, cancellationToken)
                       ?? throw new KeyNotFoundException($"No detection has the human loop '{humanLoopName}'.");
        var values = new Dictionary<string, AttributeValue>
        {
            [":at"] = new AttributeValue { S = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) },
        };
        var set = "SET reviewedAt = :at";
        if (humanLabel is not null)
        {
            set += ", humanLabel = :label";
            values[":label"] = new AttributeValue { S = humanLabel };
        }

        if (copiedKey is not null)
        {
            set += ", copiedKey = :copied";
            values[":copied"] = new AttributeValue { S = copiedKey };
        }

        if (rejectedKey is not null)
        {
            set += ", rejectedKey = :rejected";
            values[":rejected"] = new AttributeValue { S = rejectedKey };
        }

        try
        {
            await table.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = table.TableName,
                    Key = DynamoDbTable.Key(Partition, DynamoDbTable.SortableSequence(sequence)),
                    UpdateExpression = set,
                    ConditionExpression = "attribute_not_exists(reviewedAt)",
                    ExpressionAttributeValues = values,
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Recorded already: a review is recorded once.
        }
    }

    /// <inheritdoc />
    public async Task<DetectionRecord?> GetAsync(string requestId, CancellationToken cancellationToken = default)
    {
        var sequence = await SequenceOfAsync(RequestPartition(requestId), "request", cancellationToken);
        if (sequence is null)
        {
            return null;
        }

        var item = await table.GetAsync(Partition, DynamoDbTable.SortableSequence(sequence.Value), cancellationToken);
        return item is null ? null : FromItem(item);
    }

    /// <inheritdoc />
    public async Task<DetectionPage> QueryAsync(DetectionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var take = Math.Clamp(query.MaxResults, 1, 500);
        var search = string.IsNullOrWhiteSpace(query.Search) ? null : query.Search.Trim();
        var (items, next) = await table.QueryPartitionAsync(
            Partition,
            ascending: query.OldestFirst,
            afterSortKey: string.IsNullOrEmpty(query.NextToken) ? null : query.NextToken,
            lowerBoundExclusive: query.AfterSequence is { } after ? DynamoDbTable.SortableSequence(after) : null,
            take,
            item => Matches(item, search, query.RequesterId) && (query.ObjectKey is null || Text(item, "objectKey") == query.ObjectKey),
            cancellationToken);
        return new DetectionPage([.. items.Select(FromItem)], next);
    }

    private static bool Matches(Dictionary<string, AttributeValue> item, string? search, string? requesterId)
    {
        if (requesterId is not null && Text(item, "requesterId") != requesterId)
        {
            return false;
        }

        return search is null
               || SearchedAttributes.Any(name => Text(item, name)?.Contains(search, StringComparison.OrdinalIgnoreCase) == true);
    }

    private async Task<long?> SequenceOfAsync(string partition, string sort, CancellationToken cancellationToken)
    {
        var item = await table.GetAsync(partition, sort, cancellationToken);
        return item is null ? null : long.Parse(item["sequence"].N, CultureInfo.InvariantCulture);
    }

    private static string RequestPartition(string requestId) => $"request#{requestId}";

    private static string LoopPartition(string humanLoopName) => $"humanloop#{humanLoopName}";

    private static AttributeValue Number(double value) => new() { N = value.ToString("R", CultureInfo.InvariantCulture) };

    private static string? Text(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S : null;

    private static double NumberOf(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is { } n ? double.Parse(n, CultureInfo.InvariantCulture) : 0;

    private static Dictionary<string, AttributeValue> ToItem(DetectionRecord record)
    {
        var item = DynamoDbTable.Key(Partition, DynamoDbTable.SortableSequence(record.Sequence));
        item["sequence"] = Number(record.Sequence);
        item["requestId"] = new AttributeValue { S = record.RequestId };
        item["time"] = new AttributeValue { S = record.Time.ToString("O", CultureInfo.InvariantCulture) };
        item["objectKey"] = new AttributeValue { S = record.ObjectKey };
        item["confidence"] = Number(record.Confidence);
        item["threshold"] = Number(record.Threshold);
        item["labels"] = new AttributeValue { S = JsonSerializer.Serialize(record.Labels, Json) };
        foreach (var (name, value) in new[]
                 {
                     ("versionName", record.VersionName), ("label", record.Label), ("humanLoopName", record.HumanLoopName),
                     ("humanLabel", record.HumanLabel), ("copiedKey", record.CopiedKey), ("rejectedKey", record.RejectedKey), ("requestedBy", record.RequestedBy), ("requesterId", record.RequesterId),
                     ("executionId", record.ExecutionId), ("imageETag", record.ImageETag),
                     ("reviewedAt", record.ReviewedAt?.ToString("O", CultureInfo.InvariantCulture)),
                 })
        {
            if (value is not null)
            {
                item[name] = new AttributeValue { S = value };
            }
        }

        return item;
    }

    private static DetectionRecord FromItem(Dictionary<string, AttributeValue> item) => new()
    {
        RequestId = Text(item, "requestId") ?? string.Empty,
        Time = DateTimeOffset.Parse(Text(item, "time") ?? "1970-01-01T00:00:00Z", CultureInfo.InvariantCulture),
        ObjectKey = Text(item, "objectKey") ?? string.Empty,
        VersionName = Text(item, "versionName"),
        Label = Text(item, "label"),
        Confidence = (float)NumberOf(item, "confidence"),
        Labels = Text(item, "labels") is { } labels ? JsonSerializer.Deserialize<List<CustomLabel>>(labels, Json) ?? [] : [],
        Threshold = (float)NumberOf(item, "threshold"),
        HumanLoopName = Text(item, "humanLoopName"),
        HumanLabel = Text(item, "humanLabel"),
        CopiedKey = Text(item, "copiedKey"),
        RejectedKey = Text(item, "rejectedKey"),
        RequestedBy = Text(item, "requestedBy"),
        RequesterId = Text(item, "requesterId"),
        ExecutionId = Text(item, "executionId"),
        Sequence = (long)NumberOf(item, "sequence"),
        ImageETag = Text(item, "imageETag"),
        ReviewedAt = Text(item, "reviewedAt") is { } reviewed ? DateTimeOffset.Parse(reviewed, CultureInfo.InvariantCulture) : null,
    };
}
