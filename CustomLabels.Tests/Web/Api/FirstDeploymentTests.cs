using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Parameters.Embedded;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

/// <summary>
/// The real parameter store, whose write of the system state that points detection at a version (the deploy step's
/// write) waits until the test releases it; every other call goes straight through.
/// </summary>
public sealed class HeldDeployment(IParameterStore inner) : IParameterStore
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the deploy step has come to its write.</summary>
    public Task Reached => _reached.Task;

    public void Release() => _released.TrySetResult();

    public async Task<ParameterValue> PutAsync(string name, string value, string changedBy, CancellationToken cancellationToken = default)
    {
        if (name == ParameterNames.ForSystemUseOnly && SystemState.Parse(value).RunningVersion is not null)
        {
            _reached.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        return await inner.PutAsync(name, value, changedBy, cancellationToken);
    }

    public Task<IReadOnlyList<ParameterValue>> GetAllAsync(CancellationToken cancellationToken = default) => inner.GetAllAsync(cancellationToken);

    public Task<ParameterValue> GetAsync(string name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

    public Task<IReadOnlyList<ParameterChange>> GetHistoryAsync(string name, CancellationToken cancellationToken = default) =>
        inner.GetHistoryAsync(name, cancellationToken);
}

/// <summary>
/// An app whose first training run has trained and started its version and is held at the deploy step: the version
/// is RUNNING, and detection does not use it yet.
/// </summary>
public sealed class HeldFirstDeploymentApp : IAsyncLifetime
{
    public RunningApp App { get; private set; } = null!;

    public HttpClient Operator { get; private set; } = null!;

    public HeldDeployment Deployment { get; private set; } = null!;

    public string TrainingExecutionId { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await RunningApp.StartAsync(
            new Dictionary<string, string>
            {
                ["CustomLabels:BootstrapApiKey"] = RunningApp.BootstrapKey,
                ["CustomLabels:Workflow:Steps:TrainingPollSeconds"] = "1",
                ["CustomLabels:Workflow:Steps:StartPollSeconds"] = "1",
            },
            configure: builder => builder.Services.AddSingleton<IParameterStore>(sp =>
                Deployment = new HeldDeployment(ActivatorUtilities.CreateInstance<SqliteParameterStore>(sp))));
        Operator = App.Client(RunningApp.BootstrapKey);

        using (var bar = await Operator.PutAsJsonAsync("/api/parameters/Minimum-F1-Score", new { value = "0" }))
        {
            bar.EnsureSuccessStatusCode();
        }

        using (var upload = await Operator.PostAsync("/api/training-images", TrainedApp.DemoSetZip()))
        {
            upload.EnsureSuccessStatusCode();
        }

        using var started = await Operator.PostAsync("/api/training", null);
        started.EnsureSuccessStatusCode();
        TrainingExecutionId = (string)(await started.Content.ReadFromJsonAsync<JsonObject>())!["executionId"]!;

        // Ends when the run comes to the deploy step's write, or fails the fixture if the run ends without getting there.
        var run = App.Services.GetRequiredService<IWorkflowService>().WaitForCompletionAsync(TrainingExecutionId, TimeSpan.FromMinutes(5));
        if (await Task.WhenAny(Deployment.Reached, run) == run)
        {
            var ended = await run;
            Assert.Fail($"Training ended {ended.Summary.Status} before its deployment: {ended.Error} {ended.Cause}");
        }
    }

    public async Task DisposeAsync()
    {
        Deployment.Release();
        await App.DisposeAsync();
    }
}

public sealed class FirstDeploymentTests(HeldFirstDeploymentApp fixture) : IClassFixture<HeldFirstDeploymentApp>
{
    private readonly RunningApp _app = fixture.App;
    private readonly HttpClient _operator = fixture.Operator;

    [Fact]
    public async Task ARunningVersionServesOnlyOnceDeployedAndADetectionBeforeThenWaitsForItInsteadOfFailing()
    {
        // The version is RUNNING, and the deploy step has not yet pointed detection at it.
        var before = await _operator.GetFromJsonAsync<JsonObject>("/api/project-versions");
        var version = Assert.Single(before!["versions"]!.AsArray())!;
        var name = (string)version["version"]!["versionName"]!;
        Assert.Equal("RUNNING", (string?)version["version"]!["status"]);
        Assert.True((bool)version["running"]!);
        Assert.False((bool)version["serving"]!);
        Assert.Null((string?)before["servingVersion"]);
        Assert.Equal(name, (string?)before["runningVersion"]);

        // A detection now is not refused: it waits (and says so in the log) until the deployment ends.
        var detection = _operator.PostAsync("/api/detect", new MultipartFormDataContent
        {
            { new ByteArrayContent(TrainedApp.DemoImage("godot", 1)), "image", "godot.jpg" },
        });
        var waiting = $"A detection waits for version {name}";
        while (!detection.IsCompleted && !_app.Logs.Messages.Any(m => m.StartsWith(waiting, StringComparison.Ordinal)))
        {
            await Task.WhenAny(detection, Task.Delay(20));
        }

        if (detection.IsCompleted)
        {
            using var early = await detection;
            Assert.Fail($"The detection was answered {(int)early.StatusCode} before the deployment: {await early.Content.ReadAsStringAsync()}");
        }

        fixture.Deployment.Release();
        using var response = await detection;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(name, (string?)JsonNode.Parse(body)!["versionName"]);

        var run = await _app.Services.GetRequiredService<IWorkflowService>().WaitForCompletionAsync(fixture.TrainingExecutionId, TimeSpan.FromMinutes(5));
        Assert.Equal(ExecutionStatus.Succeeded, run.Summary.Status);
        var after = await _operator.GetFromJsonAsync<JsonObject>("/api/project-versions");
        Assert.Equal(name, (string?)after!["servingVersion"]);
        Assert.True((bool)after["versions"]!.AsArray().Single()!["serving"]!);
    }
}
