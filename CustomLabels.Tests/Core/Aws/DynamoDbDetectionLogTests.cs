using CustomLabels.Core;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Detections.Aws;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Notifications.Aws;

namespace CustomLabels.Tests.Core.Aws;

[Collection(BotocoreCollection.Name)]
public sealed class DynamoDbDetectionLogTests(DynaliteFixture dynalite) : IAsyncLifetime
{
    private Amazon.DynamoDBv2.AmazonDynamoDBClient _dynamo = null!;
    private DynamoDbTable _table = null!;
    private DynamoDbDetectionLog _log = null!;

    public async Task InitializeAsync()
    {
        _dynamo = AwsTest.DynamoDb(dynalite.Server.Url);
        _table = new DynamoDbTable(_dynamo, await AwsTest.CreateTableAsync(_dynamo));
        _log = new DynamoDbDetectionLog(_table);
    }

    public Task DisposeAsync()
    {
        _dynamo.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task DetectionsGetOrdinalsAndRecordingTheSameRequestAgainChangesNothing()
    {
        await _log.RecordDetectionAsync(Record("r1", "images_for_detection/a.jpg", "cat", 91));
        await _log.RecordDetectionAsync(Record("r2", "images_for_detection/b.jpg", "dog", 40));
        await _log.RecordDetectionAsync(Record("r1", "images_for_detection/changed.jpg", "bird", 10));

        var first = await _log.GetAsync("r1");
        var second = await _log.GetAsync("r2");

        Assert.Equal(1, first!.Sequence);
        Assert.Equal("images_for_detection/a.jpg", first.ObjectKey);
        Assert.Equal([new CustomLabel("cat", 91)], first.Labels);
        Assert.Equal(2, second!.Sequence);
        Assert.Null(await _log.GetAsync("r3"));
    }

    [Fact]
    public async Task QueryListsNewestFirstPagesWithTokensAndSearchesCaseInsensitively()
    {
        for (var i = 1; i <= 5; i++)
        {
            await _log.RecordDetectionAsync(Record($"q{i}", $"images_for_detection/img{i}.jpg", i % 2 == 0 ? "Dog" : "cat", 50 + i));
        }

        var page1 = await _log.QueryAsync(new DetectionQuery(MaxResults: 2));
        var page2 = await _log.QueryAsync(new DetectionQuery(NextToken: page1.NextToken, MaxResults: 2));
        var dogs = await _log.QueryAsync(new DetectionQuery(Search: "dog"));
        var since = await _log.QueryAsync(new DetectionQuery(AfterSequence: 3));
        var oldest = await _log.QueryAsync(new DetectionQuery(MaxResults: 2, OldestFirst: true));

        Assert.Equal(["q5", "q4"], page1.Items.Select(d => d.RequestId));
        Assert.Equal(["q3", "q2"], page2.Items.Select(d => d.RequestId));
        Assert.Equal(["q4", "q2"], dogs.Items.Select(d => d.RequestId));
        Assert.Equal(["q5", "q4"], since.Items.Select(d => d.RequestId));
        Assert.Equal(["q1", "q2"], oldest.Items.Select(d => d.RequestId));
    }

    [Fact]
    public async Task ACallersOwnDetectionsAreFoundByPrincipalIdAndAnImagesByItsKey()
    {
        await _log.RecordDetectionAsync(Record("p1", "images_for_detection/p1.jpg", "cat", 91) with { RequestedBy = "api-key:twin", RequesterId = "api-key-id:1" });
        await _log.RecordDetectionAsync(Record("p2", "images_for_detection/p2.jpg", "cat", 91) with { RequestedBy = "api-key:twin", RequesterId = "api-key-id:2" });

        var mine = await _log.QueryAsync(new DetectionQuery(RequesterId: "api-key-id:1"));
        var image = await _log.QueryAsync(new DetectionQuery(ObjectKey: "images_for_detection/p2.jpg"));

        Assert.Equal(["p1"], mine.Items.Select(d => d.RequestId));
        Assert.Equal("api-key-id:1", mine.Items[0].RequesterId);
        Assert.Equal(["p2"], image.Items.Select(d => d.RequestId));
    }

    [Fact]
    public async Task LoopAndReviewAreRecordedOnTheDetectionAndAReviewOnlyOnce()
    {
        await _log.RecordDetectionAsync(Record("h1", "images_for_detection/h.jpg", "cat", 30) with { ImageETag = "etag-h1" });
        await _log.RecordHumanLoopAsync("h1", "h1-loop");
        await _log.RecordReviewAsync("h1-loop", "dog", "images_labeled_by_folder/dog/h1-loop-x-h.jpg");
        await _log.RecordReviewAsync("h1-loop", "bird", "images_labeled_by_folder/bird/other.jpg");

        var record = await _log.GetAsync("h1");

        Assert.Equal("h1-loop", record!.HumanLoopName);
        Assert.Equal("dog", record.HumanLabel);
        Assert.Equal("images_labeled_by_folder/dog/h1-loop-x-h.jpg", record.CopiedKey);
        Assert.NotNull(record.ReviewedAt);
        Assert.Equal("etag-h1", record.ImageETag);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _log.RecordHumanLoopAsync("unknown", "loop"));
    }

    [Fact]
    public async Task LabelsKeepTheirRegionsAndAnItemWrittenBeforeRegionsStillReads()
    {
        var located = new CustomLabel("cat", 91, new LabelGeometry(new BoundingBox(0.125f, 0.25f, 0.5f, 0.375f)));
        await _log.RecordDetectionAsync(Record("g1", "images_for_detection/g.jpg", "cat", 91) with { Labels = [located, new CustomLabel("dog", 9)] });
        // A detection as the log wrote it before labels had regions: its ordinal index, then the item.
        var index = DynamoDbTable.Key("request#old", "request");
        index["sequence"] = new Amazon.DynamoDBv2.Model.AttributeValue { N = "2" };
        await _table.PutIfAbsentAsync(index, CancellationToken.None);
        var item = DynamoDbTable.Key("detection", DynamoDbTable.SortableSequence(2));
        item["sequence"] = new Amazon.DynamoDBv2.Model.AttributeValue { N = "2" };
        item["requestId"] = new Amazon.DynamoDBv2.Model.AttributeValue { S = "old" };
        item["objectKey"] = new Amazon.DynamoDBv2.Model.AttributeValue { S = "images_for_detection/old.jpg" };
        item["labels"] = new Amazon.DynamoDBv2.Model.AttributeValue { S = """[{"name":"cat","confidence":80}]""" };
        await _table.PutIfAbsentAsync(item, CancellationToken.None);

        Assert.Equal([located, new CustomLabel("dog", 9)], (await _log.GetAsync("g1"))!.Labels);
        Assert.Equal([new CustomLabel("cat", 80)], (await _log.GetAsync("old"))!.Labels);
    }

    [Fact]
    public async Task TheNotificationFeedKeepsWhatWasPublishedNewestFirstByTopic()
    {
        await using var sns = await FakeAwsServer.StartAsync();
        sns.Respond(200, "<PublishResponse><PublishResult><MessageId>1</MessageId></PublishResult></PublishResponse>");
        sns.Respond(200, "<PublishResponse><PublishResult><MessageId>2</MessageId></PublishResult></PublishResponse>");
        var notifier = new SnsNotifier(
            AwsTest.Client(AwsService.Sns, sns.BaseAddress),
            _table,
            Microsoft.Extensions.Options.Options.Create(AwsTest.Options(_table.TableName)),
            new PipelineEvents());

        await notifier.PublishAsync(new Notification(NotificationTopic.Operator, "Training started", "v3", DateTimeOffset.UtcNow));
        await notifier.PublishAsync(new Notification(NotificationTopic.Consumer, "Detected cat", "91%", DateTimeOffset.UtcNow, ExecutionId: "e1") { DeduplicationId = "e1/Notify" });
        await notifier.PublishAsync(new Notification(NotificationTopic.Consumer, "Detected cat", "91%", DateTimeOffset.UtcNow, ExecutionId: "e1") { DeduplicationId = "e1/Notify" });

        var all = await notifier.QueryAsync(new NotificationQuery());
        var operators = await notifier.QueryAsync(new NotificationQuery(Topic: NotificationTopic.Operator));

        Assert.Equal(["Detected cat", "Training started"], all.Items.Select(n => n.Subject));
        Assert.Equal([2L, 1L], all.Items.Select(n => n.Id));
        Assert.Equal("e1", all.Items[0].ExecutionId);
        Assert.Equal(["Training started"], operators.Items.Select(n => n.Subject));
        Assert.Equal(2, sns.Requests.Count);
        Assert.Contains("MessageAttributes.entry.1.Value.StringValue=Consumer", sns.Requests[1].Body, StringComparison.Ordinal);
    }

    private static DetectionRecord Record(string requestId, string key, string label, float confidence) => new()
    {
        RequestId = requestId,
        Time = DateTimeOffset.UtcNow,
        ObjectKey = key,
        VersionName = "v1",
        Label = label,
        Confidence = confidence,
        Labels = [new CustomLabel(label, confidence)],
        Threshold = 70,
    };
}
