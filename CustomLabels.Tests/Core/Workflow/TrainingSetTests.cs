using System.Text;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow.Handlers;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>Untrained images are counted by content and label against the trained manifest, never by object count.</summary>
public sealed class TrainingSetTests : IDisposable
{
    private const string Manifest = "manifests/v1.manifest";
    private readonly PipelineParts _parts = new();

    public void Dispose() => _parts.Dispose();

    private Task<ObjectInfo> PutAsync(string label, string name, string content) =>
        _parts.Store.PutBytesAsync(BucketLayout.TrainingImageKey(label, name), Encoding.UTF8.GetBytes(content));

    private Task<IReadOnlyList<ManifestEntry>> TrainAsync() => TrainingManifest.WriteAsync(_parts.Store, "v1");

    private async Task<int> UntrainedAsync()
    {
        var images = await TrainingSet.ListAsync(_parts.Store, CancellationToken.None);
        var trained = await TrainingSet.TrainedAsync(_parts.Store, Manifest, CancellationToken.None);
        return TrainingSet.CountUntrained(images.Select(i => (i.Label, i.ETag)), trained);
    }

    private async Task SeedAndTrainAsync()
    {
        await PutAsync("acme", "a1.jpg", "acme one");
        await PutAsync("acme", "a2.jpg", "acme two");
        await PutAsync("globex", "g1.jpg", "globex one");
        await TrainAsync();
    }

    [Fact]
    public async Task NothingIsUntrainedRightAfterTraining()
    {
        await SeedAndTrainAsync();
        Assert.Equal(0, await UntrainedAsync());
    }

    [Fact]
    public async Task AnAddedImageCountsOnce()
    {
        await SeedAndTrainAsync();
        await PutAsync("globex", "g2.jpg", "globex two");
        Assert.Equal(1, await UntrainedAsync());
    }

    [Fact]
    public async Task ARenamedImageIsNotNew()
    {
        await SeedAndTrainAsync();
        await _parts.Store.CopyAsync("images_labeled_by_folder/acme/a1.jpg", "images_labeled_by_folder/acme/renamed.jpg");
        await _parts.Store.DeleteAsync("images_labeled_by_folder/acme/a1.jpg");
        Assert.Equal(0, await UntrainedAsync());
    }

    [Fact]
    public async Task ARemovedImageDoesNotCancelAnAddedOne()
    {
        await SeedAndTrainAsync();
        await _parts.Store.DeleteAsync("images_labeled_by_folder/acme/a2.jpg");
        await PutAsync("acme", "a3.jpg", "acme three");
        Assert.Equal(1, await UntrainedAsync());
    }

    [Fact]
    public async Task ASecondCopyOfATrainedImageCountsAndAnImageMovedToAnotherLabelIsNew()
    {
        await SeedAndTrainAsync();
        await _parts.Store.CopyAsync("images_labeled_by_folder/acme/a1.jpg", "images_labeled_by_folder/acme/a1-again.jpg");
        Assert.Equal(1, await UntrainedAsync());

        await _parts.Store.CopyAsync("images_labeled_by_folder/acme/a2.jpg", "images_labeled_by_folder/globex/was-acme.jpg");
        await _parts.Store.DeleteAsync("images_labeled_by_folder/acme/a2.jpg");
        Assert.Equal(2, await UntrainedAsync());
    }

    [Fact]
    public async Task AManifestLineWithoutAnETagCountsTheImageItNamesNow()
    {
        await SeedAndTrainAsync();
        var lines = Encoding.UTF8.GetString(await _parts.Store.ReadAllBytesAsync(Manifest)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject())
            .Select(o => { o.Remove(TrainingManifest.ETagField); return o.ToJsonString(); });
        await _parts.Store.PutBytesAsync(Manifest, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

        Assert.Equal(0, await UntrainedAsync());
        await PutAsync("acme", "a3.jpg", "acme three");
        Assert.Equal(1, await UntrainedAsync());
    }
}
