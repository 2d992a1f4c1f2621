using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Handlers;
using CustomLabels.Tests.Core.Models;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// Branch 4 (a loop's answer) and the loop-creating step of branch 3, on the real embedded review, detection log
/// and bucket. Each step gets the input the definition gives it.
/// </summary>
public sealed class ReviewBranchTests : IDisposable
{
    private const string Image = "images_for_detection/2026-01-02/cup photo.jpg";
    private readonly PipelineParts _parts = new();

    public void Dispose() => _parts.Dispose();

    [Fact]
    public async Task AnAnswerCopiesTheImageOnceToItsLabelFolderAndIsLogged()
    {
        await DetectedAsync("request-1", Image, [1, 2, 3, 4]);
        var loop = await CreateLoopAsync("request-1", Image);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.ForLabel("globex"), "reviewer-ann");

        var (answer, copy) = await RunReviewBranchAsync();
        await RunReviewBranchAsync(); // the same output reported twice, or a step run again after a crash

        var training = await _parts.KeysAsync(BucketLayout.TrainingImages);
        var key = Assert.Single(training);
        Assert.Matches($@"^images_labeled_by_folder/globex/{loop}-[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}-cup photo\.jpg$", key);
        Assert.Equal(key, (string?)copy["copiedKey"]);
        Assert.True((bool)answer["addToTrainingSet"]!);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, await _parts.Store.ReadAllBytesAsync(key));
        Assert.Null(answer["boundingBox"]);
        Assert.False((await _parts.Store.HeadAsync(key))!.Metadata.ContainsKey(BoundingBox.MetadataKey));

        var logged = await _parts.DetectionLog.GetAsync("request-1");
        Assert.Equal("globex", logged!.HumanLabel);
        Assert.Equal(key, logged.CopiedKey);
    }

    [Fact]
    public async Task AnAnswerWithABoxCopiesTheImageOnceWithTheRegionInItsMetadataAndTheNextManifestHasIt()
    {
        var image = TestImages.Jpeg();
        await DetectedAsync("request-1", Image, image);
        var loop = await CreateLoopAsync("request-1", Image);
        var box = new BoundingBox(0.25f, 0.125f, 0.5f, 0.625f);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.ForLabel("globex", box), "reviewer-ann");

        var (answer, copy) = await RunReviewBranchAsync();
        var key = (string)copy["copiedKey"]!;
        var first = await _parts.Store.HeadAsync(key);
        await RunReviewBranchAsync(); // the same output reported twice, or a step run again after a crash

        Assert.Equal(0.625f, (float)answer["boundingBox"]!["Height"]!);
        Assert.Equal([key], await _parts.KeysAsync(BucketLayout.TrainingImages));
        var stored = await _parts.Store.HeadAsync(key);
        Assert.Equal(box.ToMetadata(), stored!.Metadata[BoundingBox.MetadataKey]);
        Assert.Equal(first!.LastModified, stored.LastModified);
        Assert.Equal(image, await _parts.Store.ReadAllBytesAsync(key));

        var entries = await TrainingManifest.WriteAsync(_parts.Store, "v2");
        Assert.Equal(box, Assert.Single(entries).Region);
        var line = JsonNode.Parse(System.Text.Encoding.UTF8.GetString(await _parts.Store.ReadAllBytesAsync(TrainingManifest.KeyFor("v2"))).Trim())!;
        Assert.Equal(box.ToMetadata(), (string?)line[TrainingManifest.RegionField]);
    }

    [Fact]
    public async Task TheDetectionStepsKeepEachLabelsRegionForTheLogAndTheLoop()
    {
        var model = new ServedLabelsModel(null, [new CustomLabel("acme", 40, new LabelGeometry(new BoundingBox(0.125f, 0.25f, 0.5f, 0.375f))), new CustomLabel("globex", 35)]);
        await ServedLabelsModel.DeployAsync(_parts.SystemState);
        await _parts.Store.PutBytesAsync(Image, TestImages.Jpeg());

        var detect = new DetectCustomLabelsHandler(_parts.Store, model, _parts.Parameters, _parts.SystemState, TimeProvider.System);
        var detection = (await InvokeAsync(detect, ObjectEvent(Image), "DetectCustomLabels", "request-1"))!;
        await InvokeAsync(new LogDetectionHandler(_parts.DetectionLog), detection.DeepClone(), "LogDetection", "request-1");
        var review = await InvokeAsync(new CreateHumanLoopHandler(_parts.Review, _parts.DetectionLog), detection.DeepClone(), "CreateHumanLoop", "request-1");

        Assert.Equal(0.375f, (float)detection["CustomLabels"]![0]!["Geometry"]!["BoundingBox"]!["Height"]!);
        Assert.Null(detection["allLabels"]![1]!["Geometry"]);
        Assert.Equal(model.Labels, (await _parts.DetectionLog.GetAsync("request-1"))!.Labels);
        Assert.Equal(model.Labels, (await _parts.Review.DescribeHumanLoopAsync((string)review!["humanLoopName"]!))!.Input.Labels);
    }

    [Fact]
    public async Task NoneOfTheAboveKeepsExactlyOneRejectedCopyAndNoLabelCopy()
    {
        await DetectedAsync("request-1", Image, [1, 2, 3]);
        var loop = await CreateLoopAsync("request-1", Image);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.None, "reviewer-ann");

        var (answer, copy) = await RunReviewBranchAsync();

        Assert.True((bool)answer["noneOfTheAbove"]!);
        Assert.False((bool)answer["addToTrainingSet"]!);
        Assert.True((bool)answer["keepAsRejected"]!);
        Assert.Null((string?)copy["copiedKey"]);
        Assert.Empty(await _parts.KeysAsync(BucketLayout.TrainingImages));
        var rejected = Assert.Single(await _parts.KeysAsync(BucketLayout.RejectedImages));
        Assert.Matches($@"^images_rejected/{loop}-[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}-cup photo\.jpg$", rejected);
        Assert.Equal(rejected, (string?)copy["rejectedKey"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, await _parts.Store.ReadAllBytesAsync(rejected));

        var logged = await _parts.DetectionLog.GetAsync("request-1");
        Assert.NotNull(logged!.ReviewedAt);
        Assert.Null(logged.HumanLabel);
        Assert.Null(logged.CopiedKey);
        Assert.Equal(rejected, logged.RejectedKey);
    }

    [Fact]
    public async Task TheRejectedCopyRunTwiceGivesTheSameResultAndAddsNothing()
    {
        await DetectedAsync("request-1", Image, [5, 6, 7]);
        var loop = await CreateLoopAsync("request-1", Image);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.None, "reviewer-ann");
        var output = Assert.Single(await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
        var answer = (await InvokeAsync(new ReadHumanLoopAnswerHandler(_parts.Store), ObjectEvent(output), "ReadHumanLoopAnswer"))!;
        var copyStep = new CopyToTrainingSetHandler(_parts.Store, _parts.Events);

        // The step copied, then the process stopped before the runner recorded it: the runner runs it again.
        var first = await InvokeAsync(copyStep, answer.DeepClone(), "CopyToTrainingSet");
        var written = await _parts.Store.HeadAsync((string)first!["rejectedKey"]!);
        var again = await InvokeAsync(copyStep, answer.DeepClone(), "CopyToTrainingSet", attempt: 2);

        Assert.Equal(first.ToJsonString(), again!.ToJsonString());
        Assert.Equal([(string)first["rejectedKey"]!], await _parts.KeysAsync(BucketLayout.RejectedImages));
        Assert.Equal(written, await _parts.Store.HeadAsync((string)first["rejectedKey"]!));
        Assert.Empty(await _parts.KeysAsync(BucketLayout.TrainingImages));
    }

    [Fact]
    public async Task TheCopyStepRunConcurrentlyWritesOneCopyAnnouncesItOnceAndNeverReplacesIt()
    {
        await DetectedAsync("request-1", Image, TestImages.Jpeg());
        var loop = await CreateLoopAsync("request-1", Image);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.ForLabel("globex", new BoundingBox(0.25f, 0.125f, 0.5f, 0.625f)), "reviewer-ann");
        var output = Assert.Single(await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
        var answer = (await InvokeAsync(new ReadHumanLoopAnswerHandler(_parts.Store), ObjectEvent(output), "ReadHumanLoopAnswer"))!;
        var announced = new System.Collections.Concurrent.ConcurrentQueue<PipelineEvent>();
        using var subscription = _parts.Events.Subscribe(announced.Enqueue);

        // A retried step and the first try still in flight: every run copies to the same key, and one write wins.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = Enumerable.Range(1, 20).Select(attempt => Task.Run(async () =>
        {
            await go.Task;
            return await InvokeAsync(new CopyToTrainingSetHandler(_parts.Store, _parts.Events), answer.DeepClone(), "CopyToTrainingSet", attempt: attempt);
        })).ToList();
        go.SetResult();
        var results = await Task.WhenAll(runs);

        var key = Assert.Single(await _parts.KeysAsync(BucketLayout.TrainingImages));
        Assert.All(results, r => Assert.Equal(key, (string?)r!["copiedKey"]));
        Assert.Single(announced, e => e.Kind == PipelineEventKind.TrainingImages && e.Id == key);
        var written = await _parts.Store.HeadAsync(key);
        await InvokeAsync(new CopyToTrainingSetHandler(_parts.Store, _parts.Events), answer.DeepClone(), "CopyToTrainingSet", attempt: 21);
        Assert.Equal(written, await _parts.Store.HeadAsync(key));
    }

    [Fact]
    public void ARejectedCopyIsNamedAsATrainingCopyWouldBe()
    {
        var longName = $"images_for_detection/{new string('x', 300)}.jpeg";

        var training = CopyToTrainingSetHandler.KeyOf("acme", "review-0123456789abcdef01234567", Image);
        var rejected = CopyToTrainingSetHandler.RejectedKeyOf("review-0123456789abcdef01234567", Image);
        var shortened = CopyToTrainingSetHandler.RejectedKeyOf("review-0123456789abcdef01234567", longName);

        Assert.Equal(training["images_labeled_by_folder/acme/".Length..], rejected["images_rejected/".Length..]);
        Assert.NotEqual(rejected, CopyToTrainingSetHandler.RejectedKeyOf("review-0123456789abcdef01234567", "images_for_detection/other/cup photo.jpg"));
        var name = shortened["images_rejected/".Length..];
        Assert.Equal(ObjectKey.MaxSegmentBytes, System.Text.Encoding.UTF8.GetByteCount(name));
        Assert.EndsWith("x.jpeg", name, StringComparison.Ordinal);
        Assert.Equal("review-0123456789abcdef01234567", RejectedImages.HumanLoopOf(rejected["images_rejected/".Length..]));
    }

    [Fact]
    public async Task ASamplingLoopsNoneOfTheAboveAddsNothingAnywhere()
    {
        await DetectedAsync("request-1", Image, [1, 2, 3]);
        var loop = (await _parts.Review.StartHumanLoopAsync(new StartHumanLoopRequest(
            CreateHumanLoopHandler.LoopNameOf("sample", "request-1"),
            new HumanLoopInput(Image, [new CustomLabel("acme", 97)], HumanLoopReason.Sampling, "request-1", ["acme"])))).HumanLoopName;
        await _parts.DetectionLog.RecordHumanLoopAsync("request-1", loop);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.None, "reviewer-ann");

        var (answer, _) = await RunReviewBranchAsync();
        // Even given the answer directly (the definition's choice skips the step), the copy step adds nothing.
        var copy = await InvokeAsync(new CopyToTrainingSetHandler(_parts.Store, _parts.Events), answer.DeepClone(), "CopyToTrainingSet");

        Assert.False((bool)answer["addToTrainingSet"]!);
        Assert.False((bool)answer["keepAsRejected"]!);
        Assert.Null((string?)copy!["copiedKey"]);
        Assert.Null((string?)copy["rejectedKey"]);
        Assert.Empty(await _parts.KeysAsync(BucketLayout.TrainingImages));
        Assert.Empty(await _parts.KeysAsync(BucketLayout.RejectedImages));
        Assert.Null((await _parts.DetectionLog.GetAsync("request-1"))!.RejectedKey);
    }

    [Fact]
    public async Task ASamplingLoopsAnswerAddsNothingToTheTrainingSet()
    {
        await DetectedAsync("request-1", Image, [1, 2, 3]);
        var loop = (await _parts.Review.StartHumanLoopAsync(new StartHumanLoopRequest(
            CreateHumanLoopHandler.LoopNameOf("sample", "request-1"),
            new HumanLoopInput(Image, [new CustomLabel("acme", 97)], HumanLoopReason.Sampling, "request-1", ["acme"])))).HumanLoopName;
        await _parts.DetectionLog.RecordHumanLoopAsync("request-1", loop);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.ForLabel("acme"), "reviewer-ann");

        var (answer, _) = await RunReviewBranchAsync();

        Assert.Equal("Sampling", (string?)answer["reason"]);
        Assert.False((bool)answer["addToTrainingSet"]!);
        Assert.Empty(await _parts.KeysAsync(BucketLayout.TrainingImages));
        Assert.Empty(await _parts.KeysAsync(BucketLayout.RejectedImages));
        Assert.Equal("acme", (await _parts.DetectionLog.GetAsync("request-1"))!.HumanLabel);
    }

    [Fact]
    public async Task ADetectionOfAnImageWithALoopInProgressJoinsThatLoop()
    {
        await DetectedAsync("request-1", Image, [9, 9, 9]);
        await DetectedAsync("request-2", "images_for_detection/same bytes again.jpg", [9, 9, 9]);

        var first = await InvokeAsync(new CreateHumanLoopHandler(_parts.Review, _parts.DetectionLog), DetectionInput("request-1", Image), "CreateHumanLoop", "request-1");
        var second = await InvokeAsync(new CreateHumanLoopHandler(_parts.Review, _parts.DetectionLog), DetectionInput("request-2", "images_for_detection/same bytes again.jpg"), "CreateHumanLoop", "request-2");
        var again = await InvokeAsync(new CreateHumanLoopHandler(_parts.Review, _parts.DetectionLog), DetectionInput("request-1", Image), "CreateHumanLoop", "request-1");

        Assert.True((bool)first!["created"]!);
        Assert.False((bool)second!["created"]!);
        Assert.Equal((string?)first["humanLoopName"], (string?)second["humanLoopName"]);
        Assert.Equal((string?)first["humanLoopName"], (string?)again!["humanLoopName"]);
        Assert.Single((await _parts.Review.ListHumanLoopsAsync(new HumanLoopQuery(HumanLoopStatus.InProgress))).HumanLoops);
        Assert.Equal((string?)first["humanLoopName"], (await _parts.DetectionLog.GetAsync("request-2"))!.HumanLoopName);
    }

    [Fact]
    public async Task AnOutputThatIsNotA2IsFormatFailsAsInvalidInput()
    {
        await _parts.Store.PutBytesAsync("a2i-human-loop-data/flow/2026/01/01/00/00/00/x/output.json", "{\"humanLoopName\": \"x\"}"u8.ToArray());

        var error = await Assert.ThrowsAsync<WorkflowTaskException>(() => InvokeAsync(
            new ReadHumanLoopAnswerHandler(_parts.Store),
            ObjectEvent("a2i-human-loop-data/flow/2026/01/01/00/00/00/x/output.json"),
            "ReadHumanLoopAnswer"));
        Assert.Equal(WorkflowErrors.InvalidInput, error.Error);
        Assert.Contains("inputContent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAnswerWhoseImageIsGoneFailsAsObjectNotFound()
    {
        await DetectedAsync("request-1", Image, [1]);
        var loop = await CreateLoopAsync("request-1", Image);
        await _parts.Review.AnswerHumanLoopAsync(loop, HumanLoopAnswer.ForLabel("acme"), "reviewer-ann");
        await _parts.Store.DeleteAsync(Image);

        var error = await Assert.ThrowsAsync<WorkflowTaskException>(RunReviewBranchAsync);
        Assert.Equal(WorkflowErrors.ObjectNotFound, error.Error);
        Assert.Empty(await _parts.KeysAsync(BucketLayout.TrainingImages));
    }

    /// <summary>Runs branch 4 as the definition does for the one output in the bucket: read, copy if it should, log.</summary>
    private async Task<(JsonNode Answer, JsonNode Copy)> RunReviewBranchAsync()
    {
        var output = Assert.Single(await _parts.KeysAsync(BucketLayout.HumanLoopOutput));
        var answer = (await InvokeAsync(new ReadHumanLoopAnswerHandler(_parts.Store), ObjectEvent(output), "ReadHumanLoopAnswer"))!;
        JsonNode copy = new JsonObject { ["copiedKey"] = null, ["rejectedKey"] = null };
        if ((bool)answer["addToTrainingSet"]! || (bool)answer["keepAsRejected"]!)
        {
            copy = (await InvokeAsync(new CopyToTrainingSetHandler(_parts.Store, _parts.Events), answer.DeepClone(), "CopyToTrainingSet"))!;
        }

        await InvokeAsync(new LogReviewHandler(_parts.DetectionLog), new JsonObject { ["answer"] = answer.DeepClone(), ["copy"] = copy.DeepClone() }, "LogReview");
        return (answer, copy);
    }

    private async Task DetectedAsync(string requestId, string key, byte[] content)
    {
        var info = await _parts.Store.PutBytesAsync(key, content);
        await _parts.DetectionLog.RecordDetectionAsync(new DetectionRecord
        {
            RequestId = requestId,
            Time = DateTimeOffset.UtcNow,
            ObjectKey = key,
            ImageETag = info.ETag,
            VersionName = "v1",
            Label = "acme",
            Confidence = 40,
            Labels = [new CustomLabel("acme", 40), new CustomLabel("globex", 35)],
            Threshold = 70,
        });
    }

    private async Task<string> CreateLoopAsync(string requestId, string key) =>
        (string)(await InvokeAsync(new CreateHumanLoopHandler(_parts.Review, _parts.DetectionLog), DetectionInput(requestId, key), "CreateHumanLoop", requestId))!["humanLoopName"]!;

    private JsonObject DetectionInput(string requestId, string key)
    {
        var etag = _parts.Store.HeadAsync(key).GetAwaiter().GetResult()!.ETag;
        return new JsonObject
        {
            ["requestId"] = requestId,
            ["objectKey"] = key,
            ["imageETag"] = etag,
            ["versionName"] = "v1",
            ["CustomLabels"] = new JsonArray(new JsonObject { ["Name"] = "acme", ["Confidence"] = 40 }),
            ["allLabels"] = new JsonArray(new JsonObject { ["Name"] = "acme", ["Confidence"] = 40 }, new JsonObject { ["Name"] = "globex", ["Confidence"] = 35 }),
            ["label"] = "acme",
            ["confidence"] = 40,
            ["threshold"] = 70,
            ["belowThreshold"] = true,
            ["a2iEnabled"] = true,
            ["time"] = DateTimeOffset.UtcNow,
        };
    }

    private static JsonObject ObjectEvent(string key) =>
        WorkflowEvents.ObjectCreated("customlabels", new ObjectInfo(key, 1, DateTimeOffset.UtcNow, "etag", new Dictionary<string, string>()));

    private static Task<JsonNode?> InvokeAsync(ITaskHandler handler, JsonNode input, string state, string executionId = "exec-1", int attempt = 1) =>
        handler.InvokeAsync(input, new TaskContext(executionId, state, attempt), CancellationToken.None);
}
