using System.Text.Json.Nodes;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>The training check's decision, on the real parameter store, bucket and model (nothing trained yet).</summary>
public sealed class CheckTrainingTests : IAsyncLifetime
{
    private PipelineHost _host = null!;

    public async Task InitializeAsync() => _host = await PipelineHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<JsonNode> CheckAsync(bool force = false) =>
        (await _host.Services.GetServices<ITaskHandler>().Single(h => h.Name == "CheckTraining").InvokeAsync(
            WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force), new TaskContext("exec-c", "CheckTraining", 1), CancellationToken.None))!;

    private async Task AddImagesAsync(string label, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await _host.Store.PutBytesAsync(BucketLayout.TrainingImageKey(label, $"{i}.jpg"), System.Text.Encoding.UTF8.GetBytes($"{label} image {i}"));
        }
    }

    [Fact]
    public async Task TrainingWaitsForMinimumUntrainedImagesUnlessForced()
    {
        await _host.Parameters.PutAsync(ParameterNames.MinimumUntrainedImages, "6", "test");
        await AddImagesAsync("acme", 3);
        await AddImagesAsync("globex", 2);

        var waiting = await CheckAsync();
        Assert.False((bool)waiting["train"]!);
        Assert.False((bool)waiting["notify"]!);
        Assert.Equal(5, (int)waiting["untrainedImages"]!);
        Assert.Contains(ParameterNames.MinimumUntrainedImages, (string?)waiting["reason"], StringComparison.Ordinal);

        var forced = await CheckAsync(force: true);
        Assert.True((bool)forced["train"]!);
        Assert.Matches("^v[0-9]{8}-[0-9]{6}", (string?)forced["versionName"]);

        await AddImagesAsync("globex-more", 1);
        Assert.True((bool)(await CheckAsync())["train"]!);
    }

    [Fact]
    public async Task AutomaticTrainingOffStopsTheScheduleButNotAnOperatorsRequest()
    {
        await _host.Parameters.PutAsync(ParameterNames.MinimumUntrainedImages, "1", "test");
        await _host.Parameters.PutAsync(ParameterNames.EnableAutomaticTraining, "false", "test");
        await AddImagesAsync("acme", 1);
        await AddImagesAsync("globex", 1);

        var scheduled = await CheckAsync();
        Assert.False((bool)scheduled["train"]!);
        Assert.Contains(ParameterNames.EnableAutomaticTraining, (string?)scheduled["reason"], StringComparison.Ordinal);
        Assert.True((bool)(await CheckAsync(force: true))["train"]!);
    }

    [Fact]
    public async Task OneLabelIsNeverEnoughAndAForcedRefusalIsReported()
    {
        await AddImagesAsync("acme", 12);

        var forced = await CheckAsync(force: true);
        Assert.False((bool)forced["train"]!);
        Assert.True((bool)forced["notify"]!);
        Assert.Contains("at least 2", (string?)forced["reason"], StringComparison.Ordinal);
        Assert.Equal("warning", (string?)forced["notification"]!["severity"]);
    }
}
