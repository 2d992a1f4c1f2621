using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2.Model;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Review.Aws;

/// <summary>
/// Human review in AWS: Amazon A2I loops of the pipeline's flow definition. The workforce answers in its labeling
/// portal, and A2I writes each answer to <c>a2i-human-loop-data/</c>, where the review branch picks it up; so
/// <see cref="AnswerHumanLoopAsync"/> is refused here. A2I does not return a loop's input, so each loop's input
/// content is also kept in the pipeline's table, under <c>humanloop#&lt;name&gt;</c> / <c>input</c>, and each image's
/// loop in progress under <c>openloop#&lt;ETag or key&gt;</c> / <c>loop</c>, so one image has at most one open loop.
/// </summary>
public sealed partial class A2IHumanReview : IHumanReview
{
    private readonly AwsJsonClient _client;
    private readonly DynamoDbTable _table;
    private readonly IObjectStore _store;
    private readonly AwsOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the adapter over an A2I runtime client.</summary>
    public A2IHumanReview(AwsJsonClient client, DynamoDbTable table, IObjectStore store, IOptions<AwsOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _table = table;
        _store = store;
        _options = options.Value;
        _time = time;
    }

    /// <inheritdoc />
    public async Task<HumanLoop> StartHumanLoopAsync(StartHumanLoopRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!LoopNamePattern().IsMatch(request.HumanLoopName) || request.HumanLoopName.Length > 63)
        {
            throw new ArgumentException(
                $"'{request.HumanLoopName}' is not a valid human loop name: 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.");
        }

        if (await DescribeHumanLoopAsync(request.HumanLoopName, cancellationToken) is { } existing)
        {
            return existing;
        }

        await ClaimImageAsync(request.HumanLoopName, request.Input, cancellationToken);
        var content = HumanLoopOutput.InputContentOf(request.Input, $"s3://{_options.BucketName}/{request.Input.ImageKey}");
        var item = DynamoDbTable.Key(InputPartition(request.HumanLoopName), "input");
        item["inputContent"] = new AttributeValue { S = content.ToJsonString() };
        await _table.PutIfAbsentAsync(item, cancellationToken);
        JsonObject answer;
        try
        {
            answer = await _client.CallRestAsync(
                HttpMethod.Post,
                "/human-loops",
                new JsonObject
                {
                    ["HumanLoopName"] = request.HumanLoopName,
                    ["FlowDefinitionArn"] = _options.FlowDefinitionArn,
                    ["HumanLoopInput"] = new JsonObject { ["InputContent"] = content.ToJsonString() },
                },
                cancellationToken);
        }
        catch (AwsConflictException)
        {
            // Started by another caller meanwhile: starting the same name returns that loop.
            return await DescribeHumanLoopAsync(request.HumanLoopName, cancellationToken) ?? throw new HumanLoopNotFoundException(request.HumanLoopName);
        }

        return new HumanLoop
        {
            HumanLoopName = request.HumanLoopName,
            HumanLoopArn = AwsJson.Text(answer["HumanLoopArn"]) ?? string.Empty,
            FlowDefinitionArn = _options.FlowDefinitionArn,
            Status = HumanLoopStatus.InProgress,
            CreationTime = _time.GetUtcNow(),
            Input = request.Input,
        };
    }

    /// <inheritdoc />
    public async Task<HumanLoop?> FindOpenHumanLoopAsync(string imageKey, string? imageETag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageKey);
        var index = await _table.GetAsync(OpenLoopPartition(imageKey, imageETag), "loop", cancellationToken);
        if (index is null || !index.TryGetValue("name", out var name))
        {
            return null;
        }

        var loop = await DescribeHumanLoopAsync(name.S, cancellationToken);
        return loop is { Status: HumanLoopStatus.InProgress } ? loop : null;
    }

    /// <inheritdoc />
    public async Task<HumanLoop?> DescribeHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(humanLoopName);
        JsonObject answer;
        try
        {
            answer = await _client.CallRestAsync(HttpMethod.Get, $"/human-loops/{Uri.EscapeDataString(humanLoopName)}", null, cancellationToken);
        }
        catch (AwsResourceNotFoundException)
        {
            return null;
        }

        var inputs = await ReadInputsAsync([humanLoopName], cancellationToken);
        var loop = Read(answer, inputs.GetValueOrDefault(humanLoopName));
        var outputUri = AwsJson.Text(answer["HumanLoopOutput"]?["OutputS3Uri"]);
        var outputKey = KeyOf(outputUri);
        loop = loop with { OutputKey = outputKey };
        if (loop.Status == HumanLoopStatus.Completed && outputKey is not null && await _store.HeadAsync(outputKey, cancellationToken) is not null)
        {
            var output = HumanLoopOutput.Parse(await _store.ReadAllBytesAsync(outputKey, cancellationToken));
            loop = loop with
            {
                Answer = output.Label is null ? HumanLoopAnswer.None : HumanLoopAnswer.ForLabel(output.Label, output.BoundingBox),
                AnsweredBy = output.WorkerId,
                AnsweredAt = output.SubmissionTime is { } text
                             && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    ? at
                    : null,
            };
        }

        return loop;
    }

    /// <inheritdoc />
    public async Task<HumanLoopPage> ListHumanLoopsAsync(HumanLoopQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var take = Math.Clamp(query.MaxResults, 1, 100);
        var loops = new List<JsonObject>();
        var token = query.NextToken;
        do
        {
            var path = ListPath(query, take, token);
            var page = await _client.CallRestAsync(HttpMethod.Get, path, null, cancellationToken);
            loops.AddRange((page["HumanLoopSummaries"]?.AsArray() ?? []).OfType<JsonObject>()
                .Where(s => query.Status is null || ParseStatus(AwsJson.Text(s["HumanLoopStatus"])) == query.Status));
            token = AwsJson.Text(page["NextToken"]);
        }
        while (query.Status is not null && loops.Count < take && token is not null);

        var inputs = await ReadInputsAsync([.. loops.Select(l => AwsJson.Text(l["HumanLoopName"]) ?? string.Empty)], cancellationToken);
        return new HumanLoopPage(
            [.. loops.Select(l => Read(l, inputs.GetValueOrDefault(AwsJson.Text(l["HumanLoopName"]) ?? string.Empty)))],
            token);
    }

    /// <inheritdoc />
    public async Task StopHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(humanLoopName);
        try
        {
            await _client.CallRestAsync(HttpMethod.Post, "/human-loops/stop", new JsonObject { ["HumanLoopName"] = humanLoopName }, cancellationToken);
        }
        catch (AwsResourceNotFoundException exception)
        {
            throw new HumanLoopNotFoundException(humanLoopName, exception);
        }
        catch (Exception exception) when (exception is AwsInvalidRequestException or AwsConflictException)
        {
            // A2I refuses to stop or delete a loop that is not in a state for it with a ValidationException.
            throw new HumanLoopConflictException(exception.Message, exception);
        }
    }

    /// <inheritdoc />
    public async Task DeleteHumanLoopAsync(string humanLoopName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(humanLoopName);
        try
        {
            await _client.CallRestAsync(HttpMethod.Delete, $"/human-loops/{Uri.EscapeDataString(humanLoopName)}", null, cancellationToken);
        }
        catch (AwsResourceNotFoundException exception)
        {
            throw new HumanLoopNotFoundException(humanLoopName, exception);
        }
        catch (Exception exception) when (exception is AwsInvalidRequestException or AwsConflictException)
        {
            // A2I refuses to stop or delete a loop that is not in a state for it with a ValidationException.
            throw new HumanLoopConflictException(exception.Message, exception);
        }

        await _table.Client.DeleteItemAsync(
            new DeleteItemRequest { TableName = _table.TableName, Key = DynamoDbTable.Key(InputPartition(humanLoopName), "input") },
            cancellationToken);
    }

    /// <summary>Refused in AWS: the workforce answers in the labeling portal and A2I writes the output.</summary>
    public Task<HumanLoop> AnswerHumanLoopAsync(string humanLoopName, HumanLoopAnswer answer, string workerId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(
            "In AWS, reviewers answer human loops in the workforce's labeling portal"
            + (string.IsNullOrEmpty(_options.LabelingPortalUrl) ? " (its address is the stack output LabelingPortalUrl)" : $" at {_options.LabelingPortalUrl}")
            + "; A2I then writes the answer to the bucket and the review branch takes it from there.");

    /// <summary>Reads back what <see cref="HumanLoopOutput.InputContentOf"/> wrote.</summary>
    public static HumanLoopInput InputOf(JsonObject? content)
    {
        if (content is null)
        {
            return new HumanLoopInput(string.Empty, [], HumanLoopReason.LowConfidence, null, []);
        }

        var labels = (content["detectedLabels"]?.AsArray() ?? []).OfType<JsonObject>()
            .Select(l => new CustomLabel(AwsJson.Text(l["Name"]) ?? string.Empty, l["Confidence"]?.GetValue<float>() ?? 0, LabelGeometryJson.Read(l["Geometry"])))
            .ToList();
        var known = (content["labels"]?.AsArray() ?? []).Select(AwsJson.Text).OfType<string>().Where(l => l != HumanLoopOutput.NoneOfTheAbove).ToList();
        return new HumanLoopInput(
            AwsJson.Text(content["imageKey"]) ?? string.Empty,
            labels,
            Enum.TryParse<HumanLoopReason>(AwsJson.Text(content["reason"]), out var reason) ? reason : HumanLoopReason.LowConfidence,
            AwsJson.Text(content["requestId"]),
            known)
        {
            ImageETag = AwsJson.Text(content["imageETag"]),
        };
    }

    /// <summary>The key of <c>s3://&lt;bucket&gt;/&lt;key&gt;</c> in the pipeline's bucket, or null.</summary>
    private string? KeyOf(string? s3Uri)
    {
        var prefix = $"s3://{_options.BucketName}/";
        return s3Uri is not null && s3Uri.StartsWith(prefix, StringComparison.Ordinal) ? s3Uri[prefix.Length..] : null;
    }

    private static HumanLoopStatus ParseStatus(string? status) =>
        Enum.TryParse<HumanLoopStatus>(status, out var parsed) ? parsed : HumanLoopStatus.InProgress;

    private string LoopArnOf(string humanLoopName)
    {
        var flow = _options.FlowDefinitionArn;
        var at = flow.IndexOf(":flow-definition/", StringComparison.Ordinal);
        return at < 0 ? humanLoopName : $"{flow[..at]}:human-loop/{humanLoopName}";
    }

    private static string InputPartition(string humanLoopName) => $"humanloop#{humanLoopName}";

    private static string OpenLoopPartition(string imageKey, string? imageETag) =>
        imageETag is null ? $"openloop#key#{imageKey}" : $"openloop#etag#{imageETag}";

    /// <summary>Records this loop as the image's open one, unless another loop in progress holds the image.</summary>
    private async Task ClaimImageAsync(string humanLoopName, HumanLoopInput input, CancellationToken cancellationToken)
    {
        var partition = OpenLoopPartition(input.ImageKey, input.ImageETag);
        var item = DynamoDbTable.Key(partition, "loop");
        item["name"] = new AttributeValue { S = humanLoopName };
        if (await _table.PutIfAbsentAsync(item, cancellationToken))
        {
            return;
        }

        var holder = (await _table.GetAsync(partition, "loop", cancellationToken))?["name"].S;
        if (holder is not null && holder != humanLoopName
            && await DescribeHumanLoopAsync(holder, cancellationToken) is { Status: HumanLoopStatus.InProgress })
        {
            throw new HumanLoopConflictException(
                $"The image '{ObjectKey.Printable(input.ImageKey)}' already has the human loop '{holder}' in progress.");
        }

        // The previous holder has ended: this loop takes the image over.
        await _table.Client.PutItemAsync(new PutItemRequest { TableName = _table.TableName, Item = item }, cancellationToken);
    }

    private HumanLoop Read(JsonObject item, JsonObject? content) => new()
    {
        HumanLoopName = AwsJson.Text(item["HumanLoopName"]) ?? string.Empty,
        HumanLoopArn = AwsJson.Text(item["HumanLoopArn"]) ?? LoopArnOf(AwsJson.Text(item["HumanLoopName"]) ?? string.Empty),
        FlowDefinitionArn = AwsJson.Text(item["FlowDefinitionArn"]) ?? _options.FlowDefinitionArn,
        Status = ParseStatus(AwsJson.Text(item["HumanLoopStatus"])),
        CreationTime = AwsJson.Timestamp(item["CreationTime"]) ?? DateTimeOffset.UnixEpoch,
        FailureReason = AwsJson.Text(item["FailureReason"]),
        Input = InputOf(content),
    };

    private string ListPath(HumanLoopQuery query, int take, string? token)
    {
        var parts = new List<string>
        {
            $"FlowDefinitionArn={Uri.EscapeDataString(_options.FlowDefinitionArn)}",
            $"SortOrder={(query.Ascending ? "Ascending" : "Descending")}",
            $"MaxResults={take.ToString(CultureInfo.InvariantCulture)}",
        };
        if (query.CreatedAfter is { } after)
        {
            parts.Add($"CreationTimeAfter={Uri.EscapeDataString(Iso(after))}");
        }

        if (query.CreatedBefore is { } before)
        {
            parts.Add($"CreationTimeBefore={Uri.EscapeDataString(Iso(before))}");
        }

        if (token is not null)
        {
            parts.Add($"NextToken={Uri.EscapeDataString(token)}");
        }

        return "/human-loops?" + string.Join('&', parts);
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task<Dictionary<string, JsonObject>> ReadInputsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var inputs = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var chunk in names.Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).Chunk(100))
        {
            var keys = new KeysAndAttributes { Keys = [.. chunk.Select(n => DynamoDbTable.Key(InputPartition(n), "input"))], ConsistentRead = true };
            var request = new Dictionary<string, KeysAndAttributes> { [_table.TableName] = keys };
            while (request.Count > 0)
            {
                var answer = await _table.Client.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = request }, cancellationToken);
                foreach (var item in answer.Responses?.GetValueOrDefault(_table.TableName) ?? [])
                {
                    if (item.TryGetValue("inputContent", out var content) && JsonNode.Parse(content.S) is JsonObject json)
                    {
                        inputs[item[DynamoDbTable.PartitionKey].S["humanloop#".Length..]] = json;
                    }
                }

                request = answer.UnprocessedKeys is { Count: > 0 } unprocessed ? unprocessed : [];
            }
        }

        return inputs;
    }

    [GeneratedRegex("^[a-z0-9](-*[a-z0-9])*$")]
    private static partial Regex LoopNamePattern();
}
