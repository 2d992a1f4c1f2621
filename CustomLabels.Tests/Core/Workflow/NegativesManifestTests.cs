using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Handlers;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// The training branch's WriteManifest and CreateProjectVersion steps with images answered "none of the above", on the
/// real bucket and parameter store, for a model that learns from them and for one that does not. The model records
/// what it is asked to train (the embedded model is trained on them in <see cref="RejectedImagesPipelineTests"/>).
/// </summary>
public sealed class NegativesManifestTests : IDisposable
{
    private const string Version = "v20260102-030405";
    private const string NegativesKey = $"manifests/{Version}.negatives.manifest";
    private readonly PipelineParts _parts = new();

    public void Dispose() => _parts.Dispose();

    [Fact]
    public async Task AModelThatLearnsFromRejectedImagesIsGivenANegativesManifestOfThem()
    {
        var model = new RecordingModel(learns: true);
        await SeedAsync();

        var manifest = await WriteManifestAsync(model);
        await CreateProjectVersionAsync(model, manifest);

        Assert.Equal(NegativesKey, (string?)manifest["negativesManifestKey"]);
        Assert.Equal(2, (int)manifest["negativeImageCount"]!);
        var lines = await TrainingManifest.ReadNegativesAsync(_parts.Store, NegativesKey);
        Assert.Equal(
            ["images_rejected/review-1-00000000-0000-0000-0000-000000000001-a.jpg", "images_rejected/review-2-00000000-0000-0000-0000-000000000002-b.jpg"],
            lines.Select(l => l.Key));
        Assert.All(lines, l => Assert.NotNull(l.ETag));
        var request = Assert.Single(model.Requests);
        Assert.Equal((Version, $"manifests/{Version}.manifest", NegativesKey), (request.VersionName, request.TrainingManifestKey, request.NegativesManifestKey));
        // The labelled manifest is untouched by the rejected images.
        Assert.Equal(3, (int)manifest["imageCount"]!);
    }

    [Fact]
    public async Task WithNoRejectedImagesThereIsNoNegativesManifest()
    {
        var model = new RecordingModel(learns: true);
        await PutTrainingAsync();
        // Left by an earlier attempt of the step, before the operator deleted the rejected images.
        await _parts.Store.PutBytesAsync(NegativesKey, "{\"source-ref\":\"s3://customlabels/images_rejected/gone.jpg\"}\n"u8.ToArray());

        var manifest = await WriteManifestAsync(model);
        await CreateProjectVersionAsync(model, manifest);

        Assert.Null((string?)manifest["negativesManifestKey"]);
        Assert.Equal(0, (int)manifest["negativeImageCount"]!);
        Assert.Null(await _parts.Store.HeadAsync(NegativesKey));
        Assert.Null(Assert.Single(model.Requests).NegativesManifestKey);
    }

    [Fact]
    public async Task AModelThatDoesNotLearnFromRejectedImagesIsGivenNoNegativesManifest()
    {
        var model = new RecordingModel(learns: false);
        await SeedAsync();

        var manifest = await WriteManifestAsync(model);
        // Even a definition that passed a key on would not reach this model.
        manifest["negativesManifestKey"] = NegativesKey;
        await CreateProjectVersionAsync(model, manifest);

        Assert.Null(await _parts.Store.HeadAsync(NegativesKey));
        Assert.DoesNotContain(await _parts.KeysAsync(BucketLayout.Manifests), k => k.EndsWith(".negatives.manifest", StringComparison.Ordinal));
        Assert.Null(Assert.Single(model.Requests).NegativesManifestKey);
    }

    [Fact]
    public async Task RejectedImagesCountAsUntrainedOnlyForAModelThatLearnsFromThem()
    {
        await SeedAsync();

        var learning = await TrainingSetSummary.DescribeAsync(_parts.Store, _parts.Parameters, Rejected(new RecordingModel(learns: true)));
        var other = await TrainingSetSummary.DescribeAsync(_parts.Store, _parts.Parameters, Rejected(new RecordingModel(learns: false)));

        Assert.Equal((3, 2, 2, 5, true), (learning.Total, learning.Rejected, learning.UntrainedRejected, learning.Untrained, learning.LearnsFromRejectedImages));
        Assert.Equal((3, 2, 0, 3, false), (other.Total, other.Rejected, other.UntrainedRejected, other.Untrained, other.LearnsFromRejectedImages));
    }

    [Fact]
    public async Task AfterADeploymentOnlyRejectedImagesItWasNotTrainedWithCount()
    {
        var model = new RecordingModel(learns: true);
        await SeedAsync();
        var manifest = await WriteManifestAsync(model);
        await _parts.SystemState.UpdateAsync(s => s with
        {
            RunningVersion = Version,
            TrainedManifestKey = (string?)manifest["manifestKey"],
            TrainedTestManifestKey = (string?)manifest["testManifestKey"],
            TrainedNegativesManifestKey = (string?)manifest["negativesManifestKey"],
        });
        var rejected = Rejected(model);
        Assert.Equal(0, (await TrainingSetSummary.DescribeAsync(_parts.Store, _parts.Parameters, rejected)).Untrained);

        // A renamed copy of a trained image is not new; other content is.
        await _parts.Store.CopyAsync(
            "images_rejected/review-1-00000000-0000-0000-0000-000000000001-a.jpg", "images_rejected/review-9-00000000-0000-0000-0000-000000000009-a.jpg");
        await _parts.Store.DeleteAsync("images_rejected/review-1-00000000-0000-0000-0000-000000000001-a.jpg");
        Assert.Equal(0, (await TrainingSetSummary.DescribeAsync(_parts.Store, _parts.Parameters, rejected)).Untrained);
        await _parts.Store.PutBytesAsync("images_rejected/review-3-00000000-0000-0000-0000-000000000003-c.jpg", "rejected three"u8.ToArray());

        var after = await TrainingSetSummary.DescribeAsync(_parts.Store, _parts.Parameters, rejected);
        Assert.Equal((1, 1), (after.UntrainedRejected, after.Untrained));
        var set = await rejected.DescribeAsync();
        Assert.Equal("images_rejected/review-3-00000000-0000-0000-0000-000000000003-c.jpg", Assert.Single(set.UntrainedKeys));
    }

    private RejectedImages Rejected(ICustomLabelsModel model) => new(_parts.Store, _parts.Parameters, model, _parts.Events);

    private async Task PutTrainingAsync()
    {
        await _parts.Store.PutBytesAsync(BucketLayout.TrainingImageKey("acme", "a1.jpg"), "acme one"u8.ToArray());
        await _parts.Store.PutBytesAsync(BucketLayout.TrainingImageKey("acme", "a2.jpg"), "acme two"u8.ToArray());
        await _parts.Store.PutBytesAsync(BucketLayout.TrainingImageKey("globex", "g1.jpg"), "globex one"u8.ToArray());
    }

    /// <summary>Three labelled images, two rejected ones, and what is not a rejected image: a nested key and a hidden file.</summary>
    private async Task SeedAsync()
    {
        await PutTrainingAsync();
        await _parts.Store.PutBytesAsync("images_rejected/review-1-00000000-0000-0000-0000-000000000001-a.jpg", "rejected one"u8.ToArray());
        await _parts.Store.PutBytesAsync("images_rejected/review-2-00000000-0000-0000-0000-000000000002-b.jpg", "rejected two"u8.ToArray());
        await _parts.Store.PutBytesAsync("images_rejected/nested/c.jpg", "nested"u8.ToArray());
        await _parts.Store.PutBytesAsync("images_rejected/.DS_Store", "finder"u8.ToArray());
    }

    private async Task<JsonNode> WriteManifestAsync(ICustomLabelsModel model)
    {
        var step = new WriteManifestHandler(
            _parts.Store, model, _parts.SystemState, Microsoft.Extensions.Options.Options.Create(new WorkflowStepOptions()), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<WriteManifestHandler>.Instance);
        return (await step.InvokeAsync(new JsonObject { ["versionName"] = Version }, new TaskContext("exec-t", "WriteManifest", 1), CancellationToken.None))!;
    }

    /// <summary>Runs CreateProjectVersion with the input the definition gives it from WriteManifest's result.</summary>
    private static async Task CreateProjectVersionAsync(ICustomLabelsModel model, JsonNode manifest)
    {
        var input = new JsonObject
        {
            ["versionName"] = (string?)manifest["versionName"],
            ["manifestKey"] = (string?)manifest["manifestKey"],
            ["negativesManifestKey"] = (string?)manifest["negativesManifestKey"],
        };
        await new CreateProjectVersionHandler(model).InvokeAsync(input, new TaskContext("exec-t", "CreateProjectVersion", 1), CancellationToken.None);
    }

    /// <summary>A model that records the versions it is asked to train and reports them training.</summary>
    private sealed class RecordingModel(bool learns) : ICustomLabelsModel
    {
        private readonly ConcurrentQueue<CreateProjectVersionRequest> _requests = new();

        public IReadOnlyList<CreateProjectVersionRequest> Requests => [.. _requests];

        public bool LearnsFromRejectedImages => learns;

        public Task<ProjectVersion> CreateProjectVersionAsync(CreateProjectVersionRequest request, CancellationToken cancellationToken = default)
        {
            _requests.Enqueue(request);
            return Task.FromResult(VersionOf(request));
        }

        public Task<IReadOnlyList<ProjectVersion>> DescribeProjectVersionsAsync(IReadOnlyCollection<string>? versionNames = null, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ProjectVersion>>([.. _requests.Where(r => versionNames?.Contains(r.VersionName) != false).Select(VersionOf)]);

        public Task<ProjectVersion> StartProjectVersionAsync(string versionName, int minInferenceUnits, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<ProjectVersion> StopProjectVersionAsync(string versionName, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<DetectCustomLabelsResult> DetectCustomLabelsAsync(DetectCustomLabelsRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        private static ProjectVersion VersionOf(CreateProjectVersionRequest request) => new()
        {
            VersionName = request.VersionName,
            ProjectVersionArn = $"arn:test:{request.VersionName}",
            Status = ProjectVersionStatus.TrainingInProgress,
            CreationTimestamp = DateTimeOffset.UnixEpoch,
            TrainingManifestKey = request.TrainingManifestKey,
            NegativesManifestKey = request.NegativesManifestKey,
        };
    }
}
