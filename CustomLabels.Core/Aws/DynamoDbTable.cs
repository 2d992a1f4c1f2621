using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace CustomLabels.Core.Aws;

/// <summary>
/// The one DynamoDB table of the AWS backend (key <c>pk</c>, sort key <c>sk</c>, both strings). Items by kind:
/// <list type="table">
/// <item><term><c>detection</c> / sequence</term><description>a detection, sorted by its ordinal</description></item>
/// <item><term><c>request#&lt;id&gt;</c> / <c>request</c></term><description>a request id's ordinal, so a detection is recorded once</description></item>
/// <item><term><c>humanloop#&lt;name&gt;</c> / <c>detection</c></term><description>a loop's detection ordinal</description></item>
/// <item><term><c>humanloop#&lt;name&gt;</c> / <c>input</c></term><description>a loop's input content (A2I does not return it)</description></item>
/// <item><term><c>notification</c> / sequence</term><description>the notification feed</description></item>
/// <item><term><c>counter</c> / kind</term><description>the last ordinal given out per kind</description></item>
/// </list>
/// </summary>
public sealed class DynamoDbTable(IAmazonDynamoDB client, string tableName)
{
    /// <summary>The partition key's name.</summary>
    public const string PartitionKey = "pk";

    /// <summary>The sort key's name.</summary>
    public const string SortKey = "sk";

    /// <summary>The client.</summary>
    public IAmazonDynamoDB Client { get; } = client;

    /// <summary>The table's name.</summary>
    public string TableName { get; } = tableName;

    /// <summary>A sequence number as a sort key that orders as the number does.</summary>
    public static string SortableSequence(long sequence) => sequence.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>A key.</summary>
    public static Dictionary<string, AttributeValue> Key(string partition, string sort) => new()
    {
        [PartitionKey] = new AttributeValue { S = partition },
        [SortKey] = new AttributeValue { S = sort },
    };

    /// <summary>Gives out the next ordinal of a kind (1, 2, ...) with an atomic counter.</summary>
    public async Task<long> NextSequenceAsync(string kind, CancellationToken cancellationToken)
    {
        var answer = await Client.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = TableName,
                Key = Key("counter", kind),
                UpdateExpression = "ADD #v :one",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#v"] = "value" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":one"] = new AttributeValue { N = "1" } },
                ReturnValues = ReturnValue.UPDATED_NEW,
            },
            cancellationToken);
        return long.Parse(answer.Attributes["value"].N, CultureInfo.InvariantCulture);
    }

    /// <summary>Reads one item, or null.</summary>
    public async Task<Dictionary<string, AttributeValue>?> GetAsync(string partition, string sort, CancellationToken cancellationToken)
    {
        var answer = await Client.GetItemAsync(
            new GetItemRequest { TableName = TableName, Key = Key(partition, sort), ConsistentRead = true },
            cancellationToken);
        return answer.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>Writes an item unless one with its key exists; true when written.</summary>
    public async Task<bool> PutIfAbsentAsync(Dictionary<string, AttributeValue> item, CancellationToken cancellationToken)
    {
        try
        {
            await Client.PutItemAsync(
                new PutItemRequest
                {
                    TableName = TableName,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = PartitionKey },
                },
                cancellationToken);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads one partition in sort-key order (or reverse), from after <paramref name="afterSortKey"/>, keeping the
    /// items that <paramref name="keep"/> accepts, until <paramref name="take"/> are kept. Returns them and the sort
    /// key to continue after, or null when the partition is exhausted.
    /// </summary>
    public async Task<(List<Dictionary<string, AttributeValue>> Items, string? Next)> QueryPartitionAsync(
        string partition,
        bool ascending,
        string? afterSortKey,
        string? lowerBoundExclusive,
        int take,
        Func<Dictionary<string, AttributeValue>, bool> keep,
        CancellationToken cancellationToken)
    {
        var kept = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = afterSortKey is null ? null : Key(partition, afterSortKey);
        var values = new Dictionary<string, AttributeValue> { [":p"] = new AttributeValue { S = partition } };
        var condition = "#pk = :p";
        if (lowerBoundExclusive is not null)
        {
            condition += " AND #sk > :low";
            values[":low"] = new AttributeValue { S = lowerBoundExclusive };
        }

        while (true)
        {
            var answer = await Client.QueryAsync(
                new QueryRequest
                {
                    TableName = TableName,
                    KeyConditionExpression = condition,
                    ExpressionAttributeNames = lowerBoundExclusive is null
                        ? new Dictionary<string, string> { ["#pk"] = PartitionKey }
                        : new Dictionary<string, string> { ["#pk"] = PartitionKey, ["#sk"] = SortKey },
                    ExpressionAttributeValues = values,
                    ScanIndexForward = ascending,
                    ExclusiveStartKey = start,
                    Limit = Math.Max(take, 25),
                    ConsistentRead = true,
                },
                cancellationToken);
            foreach (var item in answer.Items ?? [])
            {
                if (!keep(item))
                {
                    continue;
                }

                kept.Add(item);
                if (kept.Count == take)
                {
                    return (kept, item[SortKey].S);
                }
            }

            if (answer.LastEvaluatedKey is not { Count: > 0 } last)
            {
                return (kept, null);
            }

            start = last;
        }
    }
}
