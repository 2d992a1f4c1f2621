using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Review.Embedded;
using CustomLabels.Core.Storage;
using CustomLabels.Tests.Core.Models;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Review;

public sealed class SqliteHumanReviewTests : IDisposable
{
    private readonly PipelineParts _parts = new();

    public void Dispose() => _parts.Dispose();

    private static StartHumanLoopRequest Request(string name, string key = "images_for_detection/cup.jpg", string? etag = "etag-cup", HumanLoopReason reason = HumanLoopReason.LowConfidence) =>
        new(name, new HumanLoopInput(key, [new CustomLabel("acme", 41.5f)], reason, "request-" + name, ["acme", "globex"]) { ImageETag = etag });

    [Fact]
    public async Task AStartedLoopIsInProgressAndStartingItAgainReturnsIt()
    {
        var review = _parts.Review;
        var started = await review.StartHumanLoopAsync(Request("review-1"));
        var again = await review.StartHumanLoopAsync(Request("review-1"));

        Assert.Equal(HumanLoopStatus.InProgress, started.Status);
        Assert.Equal(started.CreationTime, again.CreationTime);
        Assert.Equal("images_for_detection/cup.jpg", started.Input.ImageKey);
        Assert.Equal("etag-cup", started.Input.ImageETag);
        Assert.EndsWith("flow-definition/customlabels-review", started.FlowDefinitionArn, StringComparison.Ordinal);
        Assert.Single((await review.ListHumanLoopsAsync(new HumanLoopQuery(HumanLoopStatus.InProgress))).HumanLoops);
    }

    [Fact]
    public async Task AnsweringWritesOneA2IOutputUnderTheFlowAndTheAnswerTime()
    {
        var review = _parts.Review;
        await _parts.Store.PutBytesAsync("images_for_detection/cup.jpg", new byte[] { 1, 2, 3 });
        await review.StartHumanLoopAsync(Request("review-1"));

        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var answered = await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("globex"), "reviewer-ann");

        Assert.Equal(HumanLoopStatus.Completed, answered.Status);
        Assert.Equal("globex", answered.Answer!.Label);
        Assert.Equal("reviewer-ann", answered.AnsweredBy);
        var outputs = await _parts.KeysAsync(BucketLayout.HumanLoopOutput);
        var key = Assert.Single(outputs);
        Assert.Equal(answered.OutputKey, key);
        Assert.Matches(@"^a2i-human-loop-data/customlabels-review/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}/\d{2}/review-1/output\.json$", key);
        var stamp = DateTime.ParseExact(string.Join('/', key.Split('/')[2..8]), "yyyy/MM/dd/HH/mm/ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stamp, before.UtcDateTime.AddSeconds(-1), DateTime.UtcNow.AddSeconds(1));

        var output = JsonNode.Parse(await _parts.Store.ReadAllBytesAsync(key))!;
        Assert.Equal("review-1", (string?)output["humanLoopName"]);
        Assert.Equal(answered.FlowDefinitionArn, (string?)output["flowDefinitionArn"]);
        Assert.Equal("images_for_detection/cup.jpg", (string?)output["inputContent"]!["imageKey"]);
        var human = output["humanAnswers"]![0]!;
        Assert.Equal("globex", (string?)human["answerContent"]!["crowd-image-classifier"]!["label"]);
        Assert.Equal("reviewer-ann", (string?)human["workerId"]);
        Assert.NotNull((string?)human["submissionTime"]);

        var parsed = HumanLoopOutput.Parse(await _parts.Store.ReadAllBytesAsync(key));
        Assert.Equal(("review-1", "globex", HumanLoopReason.LowConfidence, "request-review-1"), (parsed.HumanLoopName, parsed.Label, parsed.Reason, parsed.RequestId));
    }

    [Fact]
    public async Task AnsweringALoopThatIsNotInProgressIsAConflictAndWritesNothingMore()
    {
        var review = _parts.Review;
        await review.StartHumanLoopAsync(Request("review-1"));
        await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.None, "reviewer-ann");

        await Assert.ThrowsAsync<HumanLoopConflictException>(() => review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("acme"), "reviewer-bob"));
        Assert.Single(await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
        var loop = await review.DescribeHumanLoopAsync("review-1");
        Assert.True(loop!.Answer!.NoneOfTheAbove);
        Assert.Equal("reviewer-ann", loop.AnsweredBy);

        await review.StartHumanLoopAsync(Request("review-2", "images_for_detection/other.jpg", "etag-other"));
        await review.StopHumanLoopAsync("review-2");
        await Assert.ThrowsAsync<HumanLoopConflictException>(() => review.AnswerHumanLoopAsync("review-2", HumanLoopAnswer.ForLabel("acme"), "reviewer-ann"));
        await Assert.ThrowsAsync<HumanLoopNotFoundException>(() => review.AnswerHumanLoopAsync("missing", HumanLoopAnswer.ForLabel("acme"), "reviewer-ann"));
    }

    [Fact]
    public async Task TwoReviewersAnsweringAtOnceWriteExactlyOneOutput()
    {
        var review = _parts.Review;
        await review.StartHumanLoopAsync(Request("review-1"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async i =>
        {
            try
            {
                await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel($"label{i}"), $"worker{i}");
                return true;
            }
            catch (HumanLoopConflictException)
            {
                return false;
            }
        }));

        Assert.Equal(1, answers.Count(a => a));
        Assert.Single(await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
    }

    [Fact]
    public async Task ALabelWithPathCharactersIsRefusedAndTheLoopStaysOpen()
    {
        var review = _parts.Review;
        await review.StartHumanLoopAsync(Request("review-1"));

        await Assert.ThrowsAsync<InvalidObjectKeyException>(() => review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("../escape"), "reviewer-ann"));
        await Assert.ThrowsAsync<ArgumentException>(() => review.AnswerHumanLoopAsync("review-1", new HumanLoopAnswer(null, false), "reviewer-ann"));
        Assert.Equal(HumanLoopStatus.InProgress, (await review.DescribeHumanLoopAsync("review-1"))!.Status);
        Assert.Empty(await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
    }

    [Fact]
    public async Task OneImageHasAtMostOneLoopInProgress()
    {
        var review = _parts.Review;
        await review.StartHumanLoopAsync(Request("review-1", "images_for_detection/cup.jpg", "same-content"));

        await Assert.ThrowsAsync<HumanLoopConflictException>(() => review.StartHumanLoopAsync(Request("review-2", "images_for_detection/copy-of-cup.jpg", "same-content")));
        Assert.Equal("review-1", (await review.FindOpenHumanLoopAsync("images_for_detection/copy-of-cup.jpg", "same-content"))!.HumanLoopName);

        await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("acme"), "reviewer-ann");
        Assert.Null(await review.FindOpenHumanLoopAsync("images_for_detection/cup.jpg", "same-content"));
        var next = await review.StartHumanLoopAsync(Request("review-2", "images_for_detection/copy-of-cup.jpg", "same-content"));
        Assert.Equal(HumanLoopStatus.InProgress, next.Status);
    }

    [Fact]
    public async Task LoopsAreListedByStatusAndTimeOnePageAtATime()
    {
        var review = _parts.Review;
        for (var i = 1; i <= 5; i++)
        {
            await review.StartHumanLoopAsync(Request($"review-{i}", $"images_for_detection/{i}.jpg", $"etag-{i}"));
        }

        await review.AnswerHumanLoopAsync("review-2", HumanLoopAnswer.ForLabel("acme"), "w");
        await review.StopHumanLoopAsync("review-4");

        var open = new List<string>();
        string? token = null;
        do
        {
            var page = await review.ListHumanLoopsAsync(new HumanLoopQuery(HumanLoopStatus.InProgress, Ascending: true, NextToken: token, MaxResults: 2));
            open.AddRange(page.HumanLoops.Select(l => l.HumanLoopName));
            token = page.NextToken;
        }
        while (token is not null);

        Assert.Equal(["review-1", "review-3", "review-5"], open);
        Assert.Equal(["review-5", "review-4", "review-3", "review-2", "review-1"],
            (await review.ListHumanLoopsAsync(new HumanLoopQuery())).HumanLoops.Select(l => l.HumanLoopName));
        Assert.Equal(["review-4"], (await review.ListHumanLoopsAsync(new HumanLoopQuery(HumanLoopStatus.Stopped))).HumanLoops.Select(l => l.HumanLoopName));
        Assert.Empty((await review.ListHumanLoopsAsync(new HumanLoopQuery(CreatedAfter: DateTimeOffset.UtcNow.AddMinutes(1)))).HumanLoops);
    }

    [Fact]
    public async Task OnlyALoopThatIsNotInProgressCanBeDeleted()
    {
        var review = _parts.Review;
        await review.StartHumanLoopAsync(Request("review-1"));

        await Assert.ThrowsAsync<HumanLoopConflictException>(() => review.DeleteHumanLoopAsync("review-1"));
        await review.StopHumanLoopAsync("review-1");
        await review.StopHumanLoopAsync("review-1");
        await review.DeleteHumanLoopAsync("review-1");

        Assert.Null(await review.DescribeHumanLoopAsync("review-1"));
        await Assert.ThrowsAsync<HumanLoopNotFoundException>(() => review.DeleteHumanLoopAsync("review-1"));
        await Assert.ThrowsAsync<HumanLoopNotFoundException>(() => review.StopHumanLoopAsync("review-1"));
    }

    [Fact]
    public async Task AnAnswerWhoseOutputAStopInterruptedIsWrittenAtTheNextStart()
    {
        var review = _parts.Review;
        await review.StartHumanLoopAsync(Request("review-1"));
        var answered = await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("acme"), "reviewer-ann");

        // As if the process stopped between claiming the answer and writing its output.
        await _parts.Store.DeleteAsync(answered.OutputKey!);
        await using (var connection = await _parts.Database.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE human_loops SET output_written = 0;";
            await command.ExecuteNonQueryAsync();
        }

        await _parts.Services.GetRequiredService<SqliteHumanReview>().RecoverOutputsAsync(CancellationToken.None);

        Assert.Equal([answered.OutputKey!], await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
        Assert.Equal("acme", HumanLoopOutput.Parse(await _parts.Store.ReadAllBytesAsync(answered.OutputKey!)).Label);
    }

    [Fact]
    public async Task AnAnswerWithABoxWritesItAsA2IsBoundingBoxOutputInPixelsAndParseReadsItBack()
    {
        var review = _parts.Review;
        var image = TestImages.Jpeg();
        var size = ImageInspector.Inspect(image);
        await _parts.Store.PutBytesAsync("images_for_detection/cup.jpg", image);
        await review.StartHumanLoopAsync(Request("review-1"));
        var box = new BoundingBox(0.1f, 0.2f, 0.3f, 0.4f);

        var answered = await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("globex", box), "reviewer-ann");

        Assert.Equal(box, answered.Answer!.BoundingBox);
        Assert.Equal(box, (await review.DescribeHumanLoopAsync("review-1"))!.Answer!.BoundingBox);
        var content = JsonNode.Parse(await _parts.Store.ReadAllBytesAsync(answered.OutputKey!))!["humanAnswers"]![0]!["answerContent"]!;
        Assert.Equal("globex", (string?)content["crowd-image-classifier"]!["label"]);
        var result = content[HumanLoopOutput.BoundingBoxElement]!;
        Assert.Equal(size.Width, (int)result["inputImageProperties"]!["width"]!);
        Assert.Equal(size.Height, (int)result["inputImageProperties"]!["height"]!);
        var written = Assert.Single(result["boundingBoxes"]!.AsArray())!;
        Assert.Equal("globex", (string?)written["label"]);
        Assert.Equal(0.1 * size.Width, (double)written["left"]!, 0.01);
        Assert.Equal(0.2 * size.Height, (double)written["top"]!, 0.01);
        Assert.Equal(0.3 * size.Width, (double)written["width"]!, 0.01);
        Assert.Equal(0.4 * size.Height, (double)written["height"]!, 0.01);
        Assert.Equal(box.ToMetadata(), HumanLoopOutput.Parse(await _parts.Store.ReadAllBytesAsync(answered.OutputKey!)).BoundingBox?.ToMetadata());
    }

    [Fact]
    public async Task AnAnswerWithoutABoxWritesNoneAndReadsNone()
    {
        var review = _parts.Review;
        await review.StartHumanLoopAsync(Request("review-1"));

        var answered = await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("globex"), "reviewer-ann");

        Assert.Null(answered.Answer!.BoundingBox);
        var bytes = await _parts.Store.ReadAllBytesAsync(answered.OutputKey!);
        Assert.Null(JsonNode.Parse(bytes)!["humanAnswers"]![0]!["answerContent"]![HumanLoopOutput.BoundingBoxElement]);
        Assert.Null(HumanLoopOutput.Parse(bytes).BoundingBox);
    }

    [Theory]
    [InlineData(0.5f, 0.5f, 0.6f, 0.2f)]
    [InlineData(-0.1f, 0.2f, 0.3f, 0.3f)]
    [InlineData(0.2f, 0.2f, 0f, 0.3f)]
    [InlineData(0.2f, 0.2f, 0.005f, 0.3f)]
    public async Task ABoxOutsideTheImageOrDegenerateIsRefusedAndTheLoopStaysOpen(float left, float top, float width, float height)
    {
        var review = _parts.Review;
        await _parts.Store.PutBytesAsync("images_for_detection/cup.jpg", TestImages.Jpeg());
        await review.StartHumanLoopAsync(Request("review-1"));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("globex", new BoundingBox(left, top, width, height)), "reviewer-ann"));

        Assert.Contains("not inside the image", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HumanLoopStatus.InProgress, (await review.DescribeHumanLoopAsync("review-1"))!.Status);
        Assert.Empty(await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
    }

    [Fact]
    public async Task ABoxWithNoneOfTheAboveIsRefused()
    {
        var review = _parts.Review;
        await _parts.Store.PutBytesAsync("images_for_detection/cup.jpg", TestImages.Jpeg());
        await review.StartHumanLoopAsync(Request("review-1"));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.None with { BoundingBox = new BoundingBox(0.1f, 0.1f, 0.5f, 0.5f) }, "reviewer-ann"));

        Assert.Contains("not with none of the above", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HumanLoopStatus.InProgress, (await review.DescribeHumanLoopAsync("review-1"))!.Status);
    }

    [Fact]
    public async Task AnAnswerWithABoxWhoseOutputAStopInterruptedIsWrittenWithItsBoxAtTheNextStart()
    {
        var review = _parts.Review;
        await _parts.Store.PutBytesAsync("images_for_detection/cup.jpg", TestImages.Jpeg());
        await review.StartHumanLoopAsync(Request("review-1"));
        var box = new BoundingBox(0.25f, 0.125f, 0.5f, 0.75f);
        var answered = await review.AnswerHumanLoopAsync("review-1", HumanLoopAnswer.ForLabel("acme", box), "reviewer-ann");

        // As if the process stopped between claiming the answer and writing its output; the image's size was kept with the answer.
        await _parts.Store.DeleteAsync(answered.OutputKey!);
        await _parts.Store.DeleteAsync("images_for_detection/cup.jpg");
        await using (var connection = await _parts.Database.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE human_loops SET output_written = 0;";
            await command.ExecuteNonQueryAsync();
        }

        await _parts.Services.GetRequiredService<SqliteHumanReview>().RecoverOutputsAsync(CancellationToken.None);

        var recovered = HumanLoopOutput.Parse(await _parts.Store.ReadAllBytesAsync(answered.OutputKey!));
        Assert.Equal(("acme", box.ToMetadata()), (recovered.Label, recovered.BoundingBox?.ToMetadata()));
    }

    [Fact]
    public async Task ALoopNameA2IWouldRefuseIsRefused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _parts.Review.StartHumanLoopAsync(Request("Not_Valid")));
        await Assert.ThrowsAsync<ArgumentException>(() => _parts.Review.StartHumanLoopAsync(Request(new string('a', 64))));
        Assert.Empty((await _parts.Review.ListHumanLoopsAsync(new HumanLoopQuery())).HumanLoops);
    }
}
