using CustomLabels.Core;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Core.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CustomLabels.Tests.Core.Detections;

/// <summary>Submitting a detection through the real embedded Core (SQLite, the folder bucket, the workflow runner).</summary>
public sealed class DetectionSubmitterTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _data = new();
    private readonly IHost _core;

    public DetectionSubmitterTests()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Development" });
        builder.Configuration[$"{CustomLabelsOptions.SectionName}:{nameof(CustomLabelsOptions.DataDirectory)}"] = _data.Path;
        builder.AddCustomLabelsCore();
        ServedLabelsModel.Register(builder.Services, [new CustomLabel("godot", 91.5f), new CustomLabel("keepassxc", 40f)]);
        _core = builder.Build();
    }

    private IDetectionSubmitter Detections => _core.Services.GetRequiredService<IDetectionSubmitter>();

    private IObjectStore Store => _core.Services.GetRequiredService<IObjectStore>();

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        await ServedLabelsModel.DeployAsync(_core.Services.GetRequiredService<SystemStateStore>());
    }

    public async Task DisposeAsync()
    {
        await _core.StopAsync();
        _core.Dispose();
    }

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task ASubmittedImageIsStoredWithItsOptionsAndItsRunsResultComesBack()
    {
        var outcome = await Detections.SubmitAsync(
            new DetectionRequest("godot.jpg", TestImages.Jpeg()) { MinConfidence = 50, MaxResults = 1, RequestedBy = "carl", RequesterId = "user:carl" },
            CancellationToken.None);

        Assert.Equal([new CustomLabel("godot", 91.5f)], outcome.Labels);
        Assert.Equal((70f, ServedLabelsModel.VersionName, null), (outcome.Threshold, outcome.VersionName, outcome.HumanLoopName));
        var stored = await Store.HeadAsync(outcome.ObjectKey);
        Assert.Equal(ExecutionNames.ForObject(outcome.ObjectKey, stored!.ETag), outcome.ExecutionId);
        Assert.Equal(
            new Dictionary<string, string>
            {
                [DetectionMetadata.MinConfidence] = "50",
                [DetectionMetadata.MaxResults] = "1",
                [DetectionMetadata.RequestedBy] = "carl",
                [DetectionMetadata.RequesterId] = "user:carl",
            },
            stored.Metadata.Where(m => m.Key is DetectionMetadata.MinConfidence or DetectionMetadata.MaxResults or DetectionMetadata.RequestedBy or DetectionMetadata.RequesterId)
                .ToDictionary());
    }

    [Theory]
    [InlineData(-0.5f, null)]
    [InlineData(100.5f, null)]
    [InlineData(null, 0)]
    [InlineData(null, 1001)]
    public async Task AnOptionOutOfItsRangeIsRefusedAndNothingIsStored(float? minConfidence, int? maxResults)
    {
        await Assert.ThrowsAsync<DetectionOptionException>(() => Detections.SubmitAsync(
            new DetectionRequest("godot.jpg", TestImages.Jpeg()) { MinConfidence = minConfidence, MaxResults = maxResults },
            CancellationToken.None));

        Assert.Empty((await Store.ListAsync(BucketLayout.DetectionImages)).Objects);
    }

    [Theory]
    [InlineData("godot shot.jpg", "godot_shot.jpg")]
    [InlineData(@"C:\photos\godot shot (1).jpg", "godot_shot__1_.jpg")]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("ünïcode.png", "n_code.png")]
    [InlineData("...", "image.jpeg")]
    [InlineData(null, "image.jpeg")]
    public void AFileNameIsCleanedOneWay(string? sent, string expected) =>
        Assert.Equal(expected, DetectionSubmitter.SafeFileName(sent, "Jpeg"));

    [Fact]
    public void ALongFileNameKeepsItsExtension()
    {
        var safe = DetectionSubmitter.SafeFileName(new string('a', 300) + ".jpeg", "Jpeg");

        Assert.Equal(DetectionSubmitter.MaxFileNameLength, safe.Length);
        Assert.EndsWith("a.jpeg", safe, StringComparison.Ordinal);
    }
}
