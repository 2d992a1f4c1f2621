using System.Text.Json.Nodes;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Aws;

namespace CustomLabels.Tests.Core.Aws;

[Collection(BotocoreCollection.Name)]
public sealed class RekognitionCustomLabelsModelTests(BotocoreChecker botocore) : IAsyncLifetime
{
    private const string VersionArn = "arn:aws:rekognition:us-east-1:123456789012:project/customlabels/version/v2/1700000001000";
    private FakeAwsServer _server = null!;
    private RekognitionCustomLabelsModel _model = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeAwsServer.StartAsync();
        _model = new RekognitionCustomLabelsModel(
            AwsTest.Client(AwsService.Rekognition, _server.BaseAddress),
            Microsoft.Extensions.Options.Options.Create(AwsTest.Options()),
            TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task CreateProjectVersionSendsTheManifestAndAnAutomaticTestSplit()
    {
        _server.Respond(200, $$"""{"ProjectVersionArn":"{{VersionArn}}"}""");

        var version = await _model.CreateProjectVersionAsync(new CreateProjectVersionRequest("v2", "manifests/v2.manifest"));

        Assert.Equal(ProjectVersionStatus.TrainingInProgress, version.Status);
        Assert.Equal(VersionArn, version.ProjectVersionArn);
        var request = Assert.Single(_server.Requests);
        await botocore.AssertMatchesModelAsync("rekognition", "CreateProjectVersion", request);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("manifests/v2.manifest", body["TrainingData"]!["Assets"]![0]!["GroundTruthManifest"]!["S3Object"]!["Name"]!.GetValue<string>());
        Assert.True(body["TestingData"]!["AutoCreate"]!.GetValue<bool>());
        Assert.Equal("evaluation/v2/", body["OutputConfig"]!["S3KeyPrefix"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateProjectVersionSendsTheWorkflowsTestManifestAsTestingDataAndDescribeReadsItBack()
    {
        _server.Respond(200, $$"""{"ProjectVersionArn":"{{VersionArn}}"}""");
        _server.Respond(200, """
            {"ProjectVersionDescriptions":[{"ProjectVersionArn":"ARN","CreationTimestamp":1700000100,"Status":"TRAINING_COMPLETED",
              "TestingDataResult":{"Input":{"Assets":[{"GroundTruthManifest":{"S3Object":{"Bucket":"customlabels-test","Name":"manifests/v2.test.manifest"}}}],"AutoCreate":false}}}]}
            """.Replace("ARN", VersionArn, StringComparison.Ordinal));

        var created = await _model.CreateProjectVersionAsync(new CreateProjectVersionRequest("v2", "manifests/v2.manifest", "manifests/v2.test.manifest"));
        var described = Assert.Single(await _model.DescribeProjectVersionsAsync(["v2"]));

        var request = _server.Requests[0];
        await botocore.AssertMatchesModelAsync("rekognition", "CreateProjectVersion", request);
        var testing = JsonNode.Parse(request.Body)!["TestingData"]!;
        Assert.Null(testing["AutoCreate"]);
        Assert.Equal("manifests/v2.test.manifest", testing["Assets"]![0]!["GroundTruthManifest"]!["S3Object"]!["Name"]!.GetValue<string>());
        Assert.Equal("customlabels-test", testing["Assets"]![0]!["GroundTruthManifest"]!["S3Object"]!["Bucket"]!.GetValue<string>());
        Assert.Equal("manifests/v2.test.manifest", created.TestManifestKey);
        Assert.Equal("manifests/v2.test.manifest", described.TestManifestKey);
    }

    [Fact]
    public async Task DescribeProjectVersionsFollowsNextTokenAndReadsStatusAndF1NewestFirst()
    {
        _server.Respond(200, """
            {"ProjectVersionDescriptions":[{"ProjectVersionArn":"arn:aws:rekognition:us-east-1:123456789012:project/customlabels/version/v1/1700000000000",
              "CreationTimestamp":1700000000.5,"Status":"STOPPED","EvaluationResult":{"F1Score":0.81,"Summary":{"S3Object":{"Bucket":"customlabels-test","Name":"evaluation/v1/summary.json"}}}}],
             "NextToken":"page-2"}
            """);
        _server.Respond(200, $$"""
            {"ProjectVersionDescriptions":[{"ProjectVersionArn":"{{VersionArn}}","CreationTimestamp":1700000100,"Status":"TRAINING_FAILED",
              "StatusMessage":"The manifest has too few labels."}]}
            """);

        var versions = await _model.DescribeProjectVersionsAsync();

        Assert.Equal(["v2", "v1"], versions.Select(v => v.VersionName));
        Assert.Equal(ProjectVersionStatus.TrainingFailed, versions[0].Status);
        Assert.Equal("The manifest has too few labels.", versions[0].StatusMessage);
        Assert.Equal(0.81, versions[1].F1Score);
        Assert.Equal("evaluation/v1/summary.json", versions[1].EvaluationSummaryKey);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500), versions[1].CreationTimestamp);
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal("page-2", JsonNode.Parse(_server.Requests[1].Body)!["NextToken"]!.GetValue<string>());
        foreach (var request in _server.Requests)
        {
            await botocore.AssertMatchesModelAsync("rekognition", "DescribeProjectVersions", request);
        }
    }

    [Fact]
    public async Task DescribeProjectVersionsListsStatusesAwsAddedAndKeepsAnUnknownOneAsText()
    {
        string Version(string name, int second, string status) =>
            $$"""{"ProjectVersionArn":"arn:aws:rekognition:us-east-1:123456789012:project/customlabels/version/{{name}}/1700000000000","CreationTimestamp":{{1700000000 + second}},"Status":"{{status}}"}""";
        _server.Respond(200, $$"""
            {"ProjectVersionDescriptions":[{{Version("v1", 1, "COPYING_IN_PROGRESS")}},{{Version("v2", 2, "COPYING_COMPLETED")}},{{Version("v3", 3, "COPYING_FAILED")}},
              {{Version("v4", 4, "DEPRECATED")}},{{Version("v5", 5, "EXPIRED")}},{{Version("v6", 6, "RETIRED_BY_A_LATER_RELEASE")}},{{Version("v7", 7, "RUNNING")}}]}
            """);

        var versions = await _model.DescribeProjectVersionsAsync();

        Assert.Equal(
            [
                ProjectVersionStatus.Running, ProjectVersionStatus.Other, ProjectVersionStatus.Expired, ProjectVersionStatus.Deprecated,
                ProjectVersionStatus.CopyingFailed, ProjectVersionStatus.CopyingCompleted, ProjectVersionStatus.CopyingInProgress,
            ],
            versions.Select(v => v.Status));
        Assert.Equal("RETIRED_BY_A_LATER_RELEASE", versions[1].StatusText);
        Assert.Null(versions[0].StatusText);
    }

    [Fact]
    public async Task EveryProjectVersionStatusInBotocoresModelIsKnown()
    {
        var known = Enum.GetValues<ProjectVersionStatus>().Where(s => s != ProjectVersionStatus.Other)
            .Select(s => System.Text.Json.JsonSerializer.Serialize(s).Trim('"')).Order();

        Assert.Equal((await botocore.EnumAsync("rekognition", "ProjectVersionStatus")).Order(), known);
    }

    [Fact]
    public async Task StartAndStopProjectVersionNameTheVersionByItsArn()
    {
        var described = $$"""{"ProjectVersionDescriptions":[{"ProjectVersionArn":"{{VersionArn}}","CreationTimestamp":1700000100,"Status":"TRAINING_COMPLETED"}]}""";
        _server.Respond(200, described).Respond(200, """{"Status":"STARTING"}""").Respond(200, described);
        _server.Respond(200, """{"Status":"STOPPING"}""").Respond(200, described);

        var started = await _model.StartProjectVersionAsync("v2", 2);
        var stopped = await _model.StopProjectVersionAsync("v2");

        Assert.Equal(ProjectVersionStatus.Starting, started.Status);
        Assert.Equal(ProjectVersionStatus.Stopping, stopped.Status);
        var requests = _server.Requests;
        await botocore.AssertMatchesModelAsync("rekognition", "DescribeProjectVersions", requests[0]);
        await botocore.AssertMatchesModelAsync("rekognition", "StartProjectVersion", requests[1]);
        await botocore.AssertMatchesModelAsync("rekognition", "StopProjectVersion", requests[3]);
        Assert.Equal(2, JsonNode.Parse(requests[1].Body)!["MinInferenceUnits"]!.GetValue<int>());
        Assert.Equal(VersionArn, JsonNode.Parse(requests[3].Body)!["ProjectVersionArn"]!.GetValue<string>());
    }

    [Fact]
    public async Task DetectCustomLabelsSendsTheImageAsBase64AndReturnsLabelsBestFirst()
    {
        await SeedArnAsync();
        _server.Respond(200, """{"CustomLabels":[{"Name":"cat","Confidence":41.5},{"Name":"dog","Confidence":93.25}]}""");
        byte[] image = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];

        var result = await _model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("v2", image, MinConfidence: 10, MaxResults: 5));

        Assert.Equal([new CustomLabel("dog", 93.25f), new CustomLabel("cat", 41.5f)], result.CustomLabels);
        var request = _server.Requests[^1];
        await botocore.AssertMatchesModelAsync("rekognition", "DetectCustomLabels", request);
        Assert.Equal(Convert.ToBase64String(image), JsonNode.Parse(request.Body)!["Image"]!["Bytes"]!.GetValue<string>());
    }

    [Fact]
    public async Task DetectCustomLabelsAsksForEveryLabelWithMinConfidenceZeroWhenTheCallerSetsNone()
    {
        await SeedArnAsync();
        _server.Respond(200, """{"CustomLabels":[{"Name":"cat","Confidence":12.5}]}""");

        var result = await _model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("v2", new byte[] { 0xFF, 0xD8, 0xFF }));

        Assert.Equal([new CustomLabel("cat", 12.5f)], result.CustomLabels);
        var request = _server.Requests[^1];
        await botocore.AssertMatchesModelAsync("rekognition", "DetectCustomLabels", request);
        var minConfidence = JsonNode.Parse(request.Body)!["MinConfidence"];
        Assert.NotNull(minConfidence);
        Assert.Equal(0, minConfidence.GetValue<float>());
    }

    [Fact]
    public async Task DetectCustomLabelsNamesAnImageInTheBucketAsAnS3ObjectInsteadOfSendingItsBytes()
    {
        await SeedArnAsync();
        _server.Respond(200, """{"CustomLabels":[{"Name":"dog","Confidence":93.25}]}""");
        var image = new byte[6 * 1024 * 1024]; // over Image.Bytes' 5 MB cap, under the product's 15 MB
        image[0] = 0xFF;
        image[1] = 0xD8;

        var result = await _model.DetectCustomLabelsAsync(
            new DetectCustomLabelsRequest("v2", image) { ImageKey = "images_for_detection/big photo.jpg" });

        Assert.Equal([new CustomLabel("dog", 93.25f)], result.CustomLabels);
        var request = _server.Requests[^1];
        await botocore.AssertMatchesModelAsync("rekognition", "DetectCustomLabels", request);
        var sent = JsonNode.Parse(request.Body)!["Image"]!.AsObject();
        Assert.Null(sent["Bytes"]);
        Assert.Equal(AwsTest.Bucket, sent["S3Object"]!["Bucket"]!.GetValue<string>());
        Assert.Equal("images_for_detection/big photo.jpg", sent["S3Object"]!["Name"]!.GetValue<string>());
        Assert.True(request.Body.Length < 4096, $"the request carried {request.Body.Length} bytes");
    }

    [Fact]
    public async Task DetectCustomLabelsReadsEachLabelsGeometryWhenTheServiceReturnsIt()
    {
        await SeedArnAsync();
        _server.Respond(200, """
            {"CustomLabels":[
              {"Name":"cat","Confidence":41.5},
              {"Name":"logo","Confidence":93.25,"Geometry":{"BoundingBox":{"Width":0.5,"Height":0.25,"Left":0.125,"Top":0.5},"Polygon":[{"X":0.125,"Y":0.5}]}},
              {"Name":"edge","Confidence":60,"Geometry":{"BoundingBox":{"Width":0.5,"Height":0.5,"Left":-0.25,"Top":0.75}}}]}
            """);

        var result = await _model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("v2", new byte[] { 0xFF, 0xD8, 0xFF }));

        Assert.Equal(
            [
                new CustomLabel("logo", 93.25f, new LabelGeometry(new BoundingBox(0.125f, 0.5f, 0.5f, 0.25f))),
                new CustomLabel("edge", 60, new LabelGeometry(new BoundingBox(0, 0.75f, 0.25f, 0.25f))),
                new CustomLabel("cat", 41.5f),
            ],
            result.CustomLabels);
    }

    [Fact]
    public async Task DetectionErrorsBecomeTheProductsExceptions()
    {
        await SeedArnAsync();
        _server.RespondError(400, "ResourceNotReadyException", "The project version is not running.");
        _server.RespondError(400, "InvalidImageFormatException", "Request has unsupported image format.");
        _server.RespondError(400, "ImageTooLargeException", "The image is larger than 4 MB.");
        _server.RespondError(400, "ValidationException", "1 validation error detected: MinConfidence.");
        var request = new DetectCustomLabelsRequest("v2", new byte[] { 1, 2, 3 });

        var notRunning = await Assert.ThrowsAsync<ModelNotRunningException>(() => _model.DetectCustomLabelsAsync(request));
        var notImage = await Assert.ThrowsAsync<InvalidImageException>(() => _model.DetectCustomLabelsAsync(request));
        await Assert.ThrowsAsync<ImageTooLargeException>(() => _model.DetectCustomLabelsAsync(request));
        var invalid = await Assert.ThrowsAsync<AwsInvalidRequestException>(() => _model.DetectCustomLabelsAsync(request));

        Assert.Equal("The project version is not running.", notRunning.Message);
        Assert.Equal("Request has unsupported image format.", notImage.Message);
        Assert.Equal("1 validation error detected: MinConfidence.", invalid.Message);
    }

    [Fact]
    public async Task AVersionRekognitionDoesNotKnowOrThatIsBusyFailsAsTheEmbeddedModelDoes()
    {
        await SeedArnAsync();
        _server.RespondError(400, "ResourceInUseException", "The project version is in use.");
        _server.RespondError(400, "ResourceNotFoundException", "The project version does not exist.");

        var busy = await Assert.ThrowsAsync<ProjectVersionConflictException>(() => _model.StopProjectVersionAsync("v2"));
        var gone = await Assert.ThrowsAsync<ProjectVersionNotFoundException>(() => _model.StartProjectVersionAsync("v2", 1));

        Assert.Contains("The project version is in use.", busy.Message, StringComparison.Ordinal);
        Assert.Contains("v2", gone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VersionNameIsReadFromTheProjectVersionArn() =>
        Assert.Equal("my-model.2020-01-21T09.10.15", RekognitionCustomLabelsModel.VersionNameOf(
            "arn:aws:rekognition:us-east-1:123456789012:project/getting-started/version/my-model.2020-01-21T09.10.15/1234567890123"));

    private async Task SeedArnAsync()
    {
        _server.Respond(200, $$"""{"ProjectVersionDescriptions":[{"ProjectVersionArn":"{{VersionArn}}","CreationTimestamp":1700000100,"Status":"RUNNING"}]}""");
        await _model.DescribeProjectVersionsAsync(["v2"]);
    }
}
