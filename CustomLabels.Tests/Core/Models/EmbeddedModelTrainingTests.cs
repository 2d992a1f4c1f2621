using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;

namespace CustomLabels.Tests.Core.Models;

public sealed class EmbeddedModelTrainingTests
{
    private static async Task UploadAsync(ModelTestEnvironment environment, string label, int count, int first = 1)
    {
        for (var i = first; i < first + count; i++)
        {
            await environment.Store.PutBytesAsync(BucketLayout.TrainingImageKey(label, $"{label}_{i:00}.jpg"), TestImages.Jpeg(label, i));
        }
    }

    [Fact]
    public async Task TrainingWithOneLabelFailsAndSaysWhy()
    {
        await using var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions());
        await UploadAsync(environment, "godot", 3);

        var version = await environment.TrainAsync("one-label");

        Assert.Equal(ProjectVersionStatus.TrainingFailed, version.Status);
        Assert.Contains("at least 2 labels", version.StatusMessage, StringComparison.Ordinal);
        Assert.Contains("godot", version.StatusMessage, StringComparison.Ordinal);
        Assert.NotNull(version.TrainingEndTimestamp);
    }

    [Fact]
    public async Task TrainingWithALabelWhoseImagesAreAllUnreadableFailsAndSaysWhy()
    {
        await using var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions());
        await UploadAsync(environment, "godot", 2);
        await environment.Store.PutBytesAsync(BucketLayout.TrainingImageKey("keepassxc", "notes.jpg"), TestImages.NotAnImage());
        await environment.Store.PutBytesAsync(BucketLayout.TrainingImageKey("keepassxc", "empty.jpg"), Array.Empty<byte>());

        var version = await environment.TrainAsync("unreadable-label");

        Assert.Equal(ProjectVersionStatus.TrainingFailed, version.Status);
        Assert.Contains("'keepassxc' has none", version.StatusMessage, StringComparison.Ordinal);
        Assert.Matches("unreadable: images_labeled_by_folder/keepassxc/(notes|empty).jpg", version.StatusMessage);
    }

    [Fact]
    public async Task TrainingWithAMissingManifestFailsAndSaysWhy()
    {
        await using var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions());

        await environment.Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("no-manifest", "manifests/missing.manifest"));
        var version = await environment.WaitForAsync("no-manifest", v => v.Status != ProjectVersionStatus.TrainingInProgress);

        Assert.Equal(ProjectVersionStatus.TrainingFailed, version.Status);
        Assert.Contains("'manifests/missing.manifest' does not exist", version.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatingAVersionWhoseNameIsTakenIsRefused()
    {
        await using var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions());
        await environment.Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("taken", "manifests/missing.manifest"));

        await Assert.ThrowsAsync<ProjectVersionConflictException>(() =>
            environment.Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("taken", "manifests/missing.manifest")));
        await Assert.ThrowsAsync<InvalidObjectKeyException>(() =>
            environment.Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("../escape", "manifests/missing.manifest")));
    }

    [Fact]
    public async Task UnreadableTrainingImagesAreSkippedAndReported()
    {
        await using var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions());
        await UploadAsync(environment, "godot", 2);
        await UploadAsync(environment, "keepassxc", 2);
        await environment.Store.PutBytesAsync(BucketLayout.TrainingImageKey("godot", "cut.jpg"), TestImages.Truncated());
        await environment.Store.PutBytesAsync(BucketLayout.TrainingImageKey("keepassxc", "bomb.png"), TestImages.PngBomb());

        var version = await environment.TrainAsync("with-bad-images");

        Assert.Equal(ProjectVersionStatus.TrainingCompleted, version.Status);
        Assert.Contains("Skipped 2 unreadable", version.StatusMessage, StringComparison.Ordinal);
        Assert.Contains("cut.jpg (The image is truncated", version.StatusMessage, StringComparison.Ordinal);
        Assert.Contains("bomb.png (The image declares 50,000 x 50,000 pixels", version.StatusMessage, StringComparison.Ordinal);
        Assert.Equal(4, version.TrainingImageCount + version.TestImageCount);
    }

    [Fact]
    public async Task RetrainingAfterAddingImagesEmbedsOnlyTheNewOnes()
    {
        await using var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions());
        await UploadAsync(environment, "godot", 3);
        await UploadAsync(environment, "keepassxc", 3);
        var first = await environment.TrainAsync("v1");
        var firstStatistics = environment.Model.LastTrainingStatistics!;

        await UploadAsync(environment, "godot", 2, first: 4);
        var second = await environment.TrainAsync("v2");
        var secondStatistics = environment.Model.LastTrainingStatistics!;

        Assert.Equal(ProjectVersionStatus.TrainingCompleted, first.Status);
        Assert.Equal(ProjectVersionStatus.TrainingCompleted, second.Status);
        Assert.Equal(0, firstStatistics.CacheHits);
        Assert.Equal(first.TrainingImageCount, firstStatistics.Embedded);
        Assert.Equal(second.TrainingImageCount, secondStatistics.Embedded + secondStatistics.CacheHits);
        Assert.Equal(first.TrainingImageCount, secondStatistics.CacheHits);
        Assert.InRange(secondStatistics.Embedded, 1, 2);
        Assert.Equal(second.TrainingImageCount - first.TrainingImageCount, secondStatistics.Embedded);
    }

    [Fact]
    public async Task RestartReloadsTheVersionThatWasRunning()
    {
        using var directory = new TempDirectory();
        DetectCustomLabelsResult before;
        await using (var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions(), directory))
        {
            await UploadAsync(environment, "godot", 3);
            await UploadAsync(environment, "keepassxc", 3);
            await environment.TrainAsync("stays-up");
            await environment.StartAsync("stays-up", units: 2);
            before = await environment.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("stays-up", TestImages.Jpeg("keepassxc", 4)));
        }

        await using var restarted = new ModelTestEnvironment(DemoModelFixture.FastOptions(), directory);
        await restarted.Model.StartAsync(CancellationToken.None);
        var version = await restarted.WaitForAsync("stays-up", v => v.Status != ProjectVersionStatus.Starting);
        var after = await restarted.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("stays-up", TestImages.Jpeg("keepassxc", 4)));

        Assert.Equal(ProjectVersionStatus.Running, version.Status);
        Assert.Equal(2, version.MinInferenceUnits);
        Assert.Equal(before.CustomLabels, after.CustomLabels);
    }

    [Fact]
    public async Task TrainingThatAStopInterruptedTrainsAgainAtTheNextStart()
    {
        using var directory = new TempDirectory();
        await using (var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions(), directory))
        {
            await UploadAsync(environment, "godot", 3);
            await UploadAsync(environment, "keepassxc", 3);
            await TrainingManifest.WriteAsync(environment.Store, "interrupted");
            await environment.Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("interrupted", TrainingManifest.KeyFor("interrupted")));
        }

        var recorded = await File.ReadAllTextAsync(Path.Combine(directory.Path, "models", "interrupted", "version.json"));
        Assert.Contains("TRAINING_IN_PROGRESS", recorded, StringComparison.Ordinal);

        await using var restarted = new ModelTestEnvironment(DemoModelFixture.FastOptions(), directory);
        await restarted.Model.StartAsync(CancellationToken.None);
        var version = await restarted.WaitForAsync("interrupted", v => v.Status != ProjectVersionStatus.TrainingInProgress);

        Assert.Equal(ProjectVersionStatus.TrainingCompleted, version.Status);
        Assert.Equal(6, version.TrainingImageCount + version.TestImageCount);
        Assert.NotNull(version.F1Score);
    }

    [Fact]
    public async Task StoppedVersionRefusesDetectionAndCanStartAgain()
    {
        await using var environment = new ModelTestEnvironment(DemoModelFixture.FastOptions());
        await UploadAsync(environment, "godot", 2);
        await UploadAsync(environment, "keepassxc", 2);
        await environment.TrainAsync("stop-start");
        await environment.StartAsync("stop-start");

        await environment.Model.StopProjectVersionAsync("stop-start");
        var stopped = await environment.WaitForAsync("stop-start", v => v.Status != ProjectVersionStatus.Stopping);
        await Assert.ThrowsAsync<ModelNotRunningException>(() =>
            environment.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest("stop-start", TestImages.Jpeg())));
        var restarted = await environment.StartAsync("stop-start");

        Assert.Equal(ProjectVersionStatus.Stopped, stopped.Status);
        Assert.Equal(ProjectVersionStatus.Running, restarted.Status);
    }
}
