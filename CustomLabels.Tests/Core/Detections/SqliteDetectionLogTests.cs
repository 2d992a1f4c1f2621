using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;

namespace CustomLabels.Tests.Core.Detections;

public sealed class SqliteDetectionLogTests : IDisposable
{
    private readonly PipelineParts _parts = new();

    public void Dispose() => _parts.Dispose();

    private static DetectionRecord Detection(string requestId, string key = "images_for_detection/a.jpg", string? label = "acme", float confidence = 91.5f) => new()
    {
        RequestId = requestId,
        Time = DateTimeOffset.UtcNow,
        ObjectKey = key,
        ImageETag = "etag-" + key,
        VersionName = "v1",
        Label = label,
        Confidence = confidence,
        Labels = label is null ? [] : [new CustomLabel(label, confidence), new CustomLabel("other", 100 - confidence)],
        Threshold = 70,
        RequestedBy = "consumer-key",
        ExecutionId = requestId,
    };

    [Fact]
    public async Task RecordingTheSameRequestTwiceKeepsOneDetectionAndNumbersThemInOrder()
    {
        var log = _parts.DetectionLog;
        await log.RecordDetectionAsync(Detection("r1"));
        await log.RecordDetectionAsync(Detection("r2", "images_for_detection/b.jpg"));
        await log.RecordDetectionAsync(Detection("r1", "images_for_detection/changed.jpg", "changed", 1));

        var first = await log.GetAsync("r1");
        var second = await log.GetAsync("r2");
        Assert.NotNull(first);
        Assert.Equal("images_for_detection/a.jpg", first.ObjectKey);
        Assert.Equal("acme", first.Label);
        Assert.Equal(91.5f, first.Confidence);
        Assert.Equal(["acme", "other"], first.Labels.Select(l => l.Name));
        Assert.Equal(70f, first.Threshold);
        Assert.Equal("consumer-key", first.RequestedBy);
        Assert.Equal(1, first.Sequence);
        Assert.Equal(2, second!.Sequence);
        Assert.Equal(2, (await log.QueryAsync(new DetectionQuery())).Items.Count);
    }

    [Fact]
    public async Task ACallersOwnDetectionsAreFoundByPrincipalIdNotByName()
    {
        var log = _parts.DetectionLog;
        await log.RecordDetectionAsync(Detection("mine") with { RequestedBy = "api-key:twin", RequesterId = "api-key-id:1" });
        await log.RecordDetectionAsync(Detection("same-name") with { RequestedBy = "api-key:twin", RequesterId = "api-key-id:2" });
        await log.RecordDetectionAsync(Detection("before-ids") with { RequestedBy = "api-key:twin" });

        var mine = await log.QueryAsync(new DetectionQuery(RequesterId: "api-key-id:1"));

        Assert.Equal(["mine"], mine.Items.Select(d => d.RequestId));
        Assert.Equal("api-key-id:1", mine.Items[0].RequesterId);
    }

    [Fact]
    public async Task AnImagesDetectionsAreFoundByItsExactKey()
    {
        var log = _parts.DetectionLog;
        await log.RecordDetectionAsync(Detection("a", "images_for_detection/a.jpg"));
        await log.RecordDetectionAsync(Detection("ab", "images_for_detection/a.jpg.b"));

        var found = await log.QueryAsync(new DetectionQuery(ObjectKey: "images_for_detection/a.jpg"));

        Assert.Equal(["a"], found.Items.Select(d => d.RequestId));
    }

    [Fact]
    public async Task AReviewIsRecordedOnceWithItsHumanLabelAndCopiedKey()
    {
        var log = _parts.DetectionLog;
        await log.RecordDetectionAsync(Detection("r1"));
        await log.RecordHumanLoopAsync("r1", "review-1");
        await log.RecordReviewAsync("review-1", "globex", "images_labeled_by_folder/globex/review-1-x-a.jpg");
        await log.RecordReviewAsync("review-1", "other", "images_labeled_by_folder/other/y.jpg");

        var record = await log.GetAsync("r1");
        Assert.Equal("review-1", record!.HumanLoopName);
        Assert.Equal("globex", record.HumanLabel);
        Assert.Equal("images_labeled_by_folder/globex/review-1-x-a.jpg", record.CopiedKey);
        Assert.NotNull(record.ReviewedAt);
    }

    [Fact]
    public async Task NoneOfTheAboveIsRecordedAsReviewedWithoutALabel()
    {
        var log = _parts.DetectionLog;
        await log.RecordDetectionAsync(Detection("r1"));
        await log.RecordHumanLoopAsync("r1", "review-1");
        await log.RecordReviewAsync("review-1", null, null);

        var record = await log.GetAsync("r1");
        Assert.Null(record!.HumanLabel);
        Assert.Null(record.CopiedKey);
        Assert.NotNull(record.ReviewedAt);
    }

    [Fact]
    public async Task ADetectionCannotBeGivenASecondLoopAndAnUnknownOneIsRefused()
    {
        var log = _parts.DetectionLog;
        await log.RecordDetectionAsync(Detection("r1"));
        await log.RecordHumanLoopAsync("r1", "review-1");
        await log.RecordHumanLoopAsync("r1", "review-1");

        await Assert.ThrowsAsync<InvalidOperationException>(() => log.RecordHumanLoopAsync("r1", "review-2"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => log.RecordHumanLoopAsync("missing", "review-3"));
        Assert.Equal("review-1", (await log.GetAsync("r1"))!.HumanLoopName);
    }

    [Fact]
    public async Task SearchMatchesKeyLabelAndLoopLiterallyAndPagesNewestFirst()
    {
        var log = _parts.DetectionLog;
        for (var i = 1; i <= 5; i++)
        {
            await log.RecordDetectionAsync(Detection($"r{i}", $"images_for_detection/img_{i}.jpg", i % 2 == 0 ? "acme" : "globex"));
        }

        await log.RecordHumanLoopAsync("r3", "review-three");

        var acme = await log.QueryAsync(new DetectionQuery(Search: "acme"));
        Assert.Equal(["r4", "r2"], acme.Items.Select(d => d.RequestId));
        Assert.Equal(["r3"], (await log.QueryAsync(new DetectionQuery(Search: "three"))).Items.Select(d => d.RequestId));
        Assert.Empty((await log.QueryAsync(new DetectionQuery(Search: "img%"))).Items);

        var first = await log.QueryAsync(new DetectionQuery(MaxResults: 2));
        var second = await log.QueryAsync(new DetectionQuery(MaxResults: 2, NextToken: first.NextToken));
        var third = await log.QueryAsync(new DetectionQuery(MaxResults: 2, NextToken: second.NextToken));
        Assert.Equal(["r5", "r4", "r3", "r2", "r1"], first.Items.Concat(second.Items).Concat(third.Items).Select(d => d.RequestId));
        Assert.Null(third.NextToken);
    }

    [Fact]
    public async Task AfterSequenceListsTheLaterDetectionsOldestFirst()
    {
        var log = _parts.DetectionLog;
        for (var i = 1; i <= 4; i++)
        {
            await log.RecordDetectionAsync(Detection($"r{i}"));
        }

        var page = await log.QueryAsync(new DetectionQuery(AfterSequence: 2, OldestFirst: true));
        Assert.Equal([3L, 4L], page.Items.Select(d => d.Sequence));
    }

    [Fact]
    public async Task LabelsKeepTheirRegionsAndARowWrittenBeforeRegionsStillReads()
    {
        var log = _parts.DetectionLog;
        var located = new CustomLabel("acme", 91.5f, new LabelGeometry(new BoundingBox(0.125f, 0.25f, 0.5f, 0.375f)));
        await log.RecordDetectionAsync(Detection("r1") with { Labels = [located, new CustomLabel("other", 8.5f)] });
        await using (var connection = await _parts.Database.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            // A detection as the log wrote it before labels had regions.
            command.CommandText = """
                INSERT INTO detections (request_id, time, object_key, label, confidence, labels_json, threshold)
                VALUES ('old', '2026-01-01T00:00:00.0000000+00:00', 'images_for_detection/old.jpg', 'acme', 80,
                        '[{"name":"acme","confidence":80},{"name":"other","confidence":20}]', 70);
                """;
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal([located, new CustomLabel("other", 8.5f)], (await log.GetAsync("r1"))!.Labels);
        Assert.Equal([new CustomLabel("acme", 80), new CustomLabel("other", 20)], (await log.GetAsync("old"))!.Labels);
        Assert.Equal(["old", "r1"], (await log.QueryAsync(new DetectionQuery())).Items.Select(d => d.RequestId));
    }

    [Fact]
    public async Task APageTokenNotIssuedByTheLogIsRefused()
    {
        await Assert.ThrowsAsync<CustomLabels.Core.Data.InvalidPageTokenException>(() => _parts.DetectionLog.QueryAsync(new DetectionQuery(NextToken: "not a token")));
    }
}
