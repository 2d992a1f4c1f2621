using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// The training branch's WriteManifest step on the real bucket folder and system state (SQLite): it writes the
/// training and the test manifest, and the test split of one version carries over to the next.
/// </summary>
public sealed class StickyTestSplitTests : IAsyncLifetime
{
    private PipelineHost _host = null!;
    private int _next;

    public async Task InitializeAsync() => _host = await PipelineHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<JsonNode> WriteManifestAsync(string version) =>
        (await _host.Services.GetServices<ITaskHandler>().Single(h => h.Name == "WriteManifest").InvokeAsync(
            new JsonObject { ["versionName"] = version }, new TaskContext($"exec-{version}", "WriteManifest", 1), CancellationToken.None))!;

    /// <summary>Adds an image to a label whose content hash falls below (a new test image) or above the test fraction.</summary>
    private async Task<string> AddAsync(string label, bool belowFraction, IReadOnlyDictionary<string, string>? metadata = null)
    {
        while (true)
        {
            var content = Encoding.UTF8.GetBytes($"{label} image {_next++}");
            var etag = Convert.ToHexStringLower(MD5.HashData(content));
            if (TestSplit.HashPosition(etag) < TestSplit.DefaultTestFraction == belowFraction)
            {
                var key = BucketLayout.TrainingImageKey(label, $"{_next}.jpg");
                await _host.Store.PutBytesAsync(key, content, metadata);
                return key;
            }
        }
    }

    private async Task<IReadOnlyList<string>> KeysAsync(string manifestKey) =>
        [.. (await TrainingManifest.ReadAsync(_host.Store, manifestKey)).Select(e => e.Key)];

    [Fact]
    public async Task AnImageInTheTestSplitOfOneVersionStaysInTheTestSplitOfTheNext()
    {
        // No image falls in the test fraction: each label's test image is the one lowest in the hash space.
        var region = new Dictionary<string, string> { [BoundingBox.MetadataKey] = "0.1,0.2,0.3,0.4" };
        string[] acme = [await AddAsync("acme", belowFraction: false, region), await AddAsync("acme", belowFraction: false, region)];
        string[] globex = [await AddAsync("globex", belowFraction: false), await AddAsync("globex", belowFraction: false)];
        var v1 = await WriteManifestAsync("v1");
        var v1Test = await KeysAsync((string)v1["testManifestKey"]!);
        Assert.Equal(2, v1Test.Count);
        Assert.Equal(2, (int)v1["trainingImageCount"]!);

        // A new acme image in the test fraction would take the test place alone; the earlier test image stays too.
        var fresh = await AddAsync("acme", belowFraction: true);
        var v2 = await WriteManifestAsync("v2");

        Assert.Equal("manifests/v2.test.manifest", (string?)v2["testManifestKey"]);
        var v2Test = await KeysAsync("manifests/v2.test.manifest");
        var v2Training = await KeysAsync("manifests/v2.manifest");
        Assert.Equal(v1Test.Append(fresh).Order(StringComparer.Ordinal), v2Test.Order(StringComparer.Ordinal));
        Assert.Empty(v2Training.Intersect(v2Test));
        Assert.Equal(acme.Concat(globex).Append(fresh).Order(StringComparer.Ordinal), v2Training.Concat(v2Test).Order(StringComparer.Ordinal));
        Assert.Equal(2, (int)v2["keptTestImageCount"]!);
        Assert.Equal(new StickyTestSplit("v2", "manifests/v2.test.manifest", "manifests/v1.test.manifest"), (await _host.SystemState.ReadAsync()).TestSplit);

        // Lines copied into the test manifest keep their content hash and region.
        var acmeTest = v2Test.Single(k => acme.Contains(k));
        var line = Encoding.UTF8.GetString(await _host.Store.ReadAllBytesAsync("manifests/v2.test.manifest"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).Single(l => ((string)l["source-ref"]!).EndsWith(acmeTest, StringComparison.Ordinal));
        Assert.Equal((await _host.Store.HeadAsync(acmeTest))!.ETag, (string?)line[TrainingManifest.ETagField]);
        Assert.Equal("0.1,0.2,0.3,0.4", (string?)line[TrainingManifest.RegionField]);
    }

    [Fact]
    public async Task AnImageRemovedFromTheTrainingSetLeavesTheTestSplitAndItsLabelStillHasATestImage()
    {
        for (var i = 0; i < 3; i++)
        {
            await AddAsync("acme", belowFraction: false);
            await AddAsync("globex", belowFraction: false);
        }

        var v1Test = await KeysAsync((string)(await WriteManifestAsync("v1"))["testManifestKey"]!);
        var removed = v1Test.Single(k => k.Contains("/acme/", StringComparison.Ordinal));
        await _host.Store.DeleteAsync(removed);

        var v2 = await WriteManifestAsync("v2");

        var v2Test = await KeysAsync((string)v2["testManifestKey"]!);
        Assert.DoesNotContain(removed, v2Test);
        Assert.DoesNotContain(removed, await KeysAsync((string)v2["manifestKey"]!));
        Assert.Single(v2Test, k => k.Contains("/acme/", StringComparison.Ordinal));
        Assert.Single(await KeysAsync((string)v2["manifestKey"]!), k => k.Contains("/acme/", StringComparison.Ordinal));
        Assert.Equal(v1Test.Single(k => k.Contains("/globex/", StringComparison.Ordinal)), v2Test.Single(k => k.Contains("/globex/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheStepRunAgainForTheSameVersionSplitsTheSameWayChainedFromTheVersionBefore()
    {
        await AddAsync("acme", belowFraction: false);
        await AddAsync("acme", belowFraction: false);
        await AddAsync("globex", belowFraction: true);
        await AddAsync("globex", belowFraction: false);
        var v1Test = await KeysAsync((string)(await WriteManifestAsync("v1"))["testManifestKey"]!);

        // A new label with no image in the test fraction: its lowest image is its test image.
        await AddAsync("hooli", belowFraction: false);
        await AddAsync("hooli", belowFraction: false);
        var first = await WriteManifestAsync("v2");
        var firstTest = await KeysAsync("manifests/v2.test.manifest");
        var firstTraining = await KeysAsync("manifests/v2.manifest");

        var again = await WriteManifestAsync("v2");
        Assert.Equal(firstTest, await KeysAsync("manifests/v2.test.manifest"));
        Assert.Equal(firstTraining, await KeysAsync("manifests/v2.manifest"));
        Assert.Equal((int)first["testImageCount"]!, (int)again["testImageCount"]!);

        // An image uploaded before the step runs again: the split is the one v1's test split gives, not one chained
        // from the step's own first write (which would keep hooli's first test image beside the new one).
        var hooliFirst = firstTest.Single(k => k.Contains("/hooli/", StringComparison.Ordinal));
        var hooliFresh = await AddAsync("hooli", belowFraction: true);
        await WriteManifestAsync("v2");

        var rerun = await KeysAsync("manifests/v2.test.manifest");
        var entries = await TrainingManifest.ListAsync(_host.Store);
        var v1Hashes = (await TrainingManifest.ReadAsync(_host.Store, "manifests/v1.test.manifest")).Select(e => e.ETag!).ToHashSet();
        Assert.Equal(TestSplit.Split(entries, TestSplit.DefaultTestFraction, v1Hashes).Test.Select(e => e.Key), rerun);
        Assert.Contains(hooliFresh, rerun);
        Assert.DoesNotContain(hooliFirst, rerun);
        Assert.All(v1Test, key => Assert.Contains(key, rerun));
        Assert.Equal("manifests/v1.test.manifest", (await _host.SystemState.ReadAsync()).TestSplit!.ChainedFromKey);
    }
}
