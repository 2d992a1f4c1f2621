using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Web.Api;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.E2E.Pipeline;

/// <summary>
/// The whole continuous-improvement loop through the HTTP API of the real app on a loopback port, with the embedded
/// backend and the real model. Time is shortened by configuration only: a schedule minute lasts one second and the
/// workflow's waits are scaled down.
/// </summary>
[Collection(TrainingPipelines.Name)]
public sealed class ContinuousImprovementLoopTests
{
    /// <summary>Settings that shorten time; nothing else differs from a default install.</summary>
    public static readonly IReadOnlyDictionary<string, string> FastTime = new Dictionary<string, string>
    {
        ["CustomLabels:BootstrapApiKey"] = RunningApp.BootstrapKey,
        ["CustomLabels:Workflow:ScheduleMinuteSeconds"] = "1",
        ["CustomLabels:Workflow:TimeScale"] = "0.1",
        ["CustomLabels:Workflow:ObjectSettleMilliseconds"] = "200",
        ["CustomLabels:Workflow:Steps:TrainingPollSeconds"] = "2",
        ["CustomLabels:Workflow:Steps:StartPollSeconds"] = "1",
    };

    [Fact]
    public async Task ScheduledTrainingDeploysDetectsReviewsAndRetrainsBlueGreen()
    {
        await using var app = await RunningApp.StartAsync(FastTime);
        var api = new PipelineApi(app.Client(RunningApp.BootstrapKey));
        var consumer = app.Client(await app.CreateKeyAsync("Consumer"));
        var reviewer = app.Client(await app.CreateKeyAsync("Reviewer"));
        var schedules = app.Services.GetRequiredService<ISchedules>();

        // 1. The demo training set, as one zip of label folders.
        var uploaded = await api.UploadDemoTrainingSetAsync();
        Assert.Equal(10, (int)uploaded["stored"]!);

        // 6. A parameter change re-arms the schedule: the default period is 720 minutes; one minute brings the next run in.
        var before = (await schedules.DescribeAsync()).Single(s => s.Name == WorkflowEvents.Branches.Training);
        await api.PutParameterAsync("Automatic-Training-Poll-Frequency", "1");
        var applied = await PipelineApi.WatchAsync("the parameter branch to apply the new poll frequency", async () =>
        {
            foreach (var run in await api.ExecutionsAsync(WorkflowEvents.Branches.Parameter))
            {
                var detail = await api.ExecutionAsync((string)run["executionId"]!);
                if ((string?)detail["input"]?["detail"]?["name"] == "Automatic-Training-Poll-Frequency" && (string)run["status"]! == "SUCCEEDED")
                {
                    return detail;
                }
            }

            return null;
        });

        // The step reports the schedules it armed: one schedule minute is one second here.
        var appliedHistory = await api.HistoryAsync((string)applied["summary"]!["executionId"]!);
        Assert.Contains("training every 0.02 min", appliedHistory.ToJsonString(), StringComparison.Ordinal);
        var after = (await schedules.DescribeAsync()).Single(s => s.Name == WorkflowEvents.Branches.Training);
        Assert.Equal(TimeSpan.FromSeconds(720), before.Period);
        Assert.Equal(TimeSpan.FromSeconds(1), after.Period);
        Assert.True(after.NextRun < before.NextRun - TimeSpan.FromMinutes(10), $"next run {after.NextRun:o} was {before.NextRun:o}");

        // 2. The schedule, not a call, trains, evaluates and deploys the first version.
        var first = await api.WatchDeployedAsync(previous: null);
        var firstRun = Assert.Single(await api.FinishedThroughAsync(WorkflowEvents.Branches.Training, "DeployVersion"));
        var firstInput = (await api.ExecutionAsync((string)firstRun["executionId"]!))["input"]!;
        Assert.Equal(WorkflowEvents.ScheduledDetailType, (string)firstInput["detail-type"]!);
        Assert.Equal("SUCCEEDED", (string)firstRun["status"]!);

        // 3. A known image is accepted: the right label above the threshold, and no review.
        var known = await PipelineApi.DetectAsync(consumer, PipelineApi.InferenceImagesLabelled(l => l == "godot")[0]);
        var best = known["CustomLabels"]!.AsArray()[0]!;
        Assert.Equal("godot", (string)best["Name"]!);
        Assert.True((double)best["Confidence"]! >= 70, $"confidence {best["Confidence"]}");
        Assert.Null((string?)known["humanLoopName"]);
        Assert.Equal(first, (string)known["versionName"]!);

        // 4. and 5. Two new images are needed to train again; each unknown logo goes to review.
        await api.PutParameterAsync("Minimum-Untrained-Images", "2");
        var reviewed = await PipelineApi.DetectUnknownLogosAsync(consumer, threshold: 70);
        Assert.True(reviewed.Count >= 2, $"Fewer than two of the unknown logos went to review: {string.Join(", ", reviewed)}");
        var (firstUnknown, secondUnknown) = (reviewed[0], reviewed[1]);
        var firstLoop = (string)firstUnknown["humanLoopName"]!;
        var secondLoop = (string)secondUnknown["humanLoopName"]!;
        Assert.Equal("InProgress", (string)(await reviewer.GetFromJsonAsync<JsonObject>($"/api/human-loops/{firstLoop}"))!["status"]!);

        await PipelineApi.AnswerAsync(reviewer, firstLoop, PipelineApi.Brand(firstUnknown));
        var copied = await api.WatchCopiedAsync(firstLoop);
        Assert.Matches(CopiedKey(firstLoop, PipelineApi.Brand(firstUnknown), Path.GetFileName((string)firstUnknown["objectKey"]!)), copied.Key);
        Assert.True(File.Exists(app.Data.Combine(["bucket", .. copied.Key.Split('/')])), $"{copied.Key} is not in the bucket");

        // One new image is not enough: a scheduled check after the copy declines.
        var declined = await PipelineApi.WatchAsync("a scheduled check that counts one untrained image", async () =>
        {
            foreach (var run in (await api.ExecutionsAsync(WorkflowEvents.Branches.Training)).Where(r => (string)r["status"]! == "SUCCEEDED"))
            {
                if (DateTimeOffset.Parse((string)run["startDate"]!, CultureInfo.InvariantCulture) > copied.At
                    && (await api.ExecutionAsync((string)run["executionId"]!)).ToJsonString() is var text
                    && text.Contains("No training: 1 untrained image(s)", StringComparison.Ordinal))
                {
                    return text;
                }
            }

            return null;
        });
        Assert.Contains("fewer than Minimum-Untrained-Images (2)", declined, StringComparison.Ordinal);

        // The second answer reaches the minimum; the next check trains a second version, deployed blue-green.
        using var watching = new CancellationTokenSource();
        var snapshots = new ConcurrentQueue<Dictionary<string, string>>();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                snapshots.Enqueue(await api.VersionsAsync());
                await Task.Delay(PipelineApi.WatchInterval, CancellationToken.None);
            }
        });
        await PipelineApi.AnswerAsync(reviewer, secondLoop, PipelineApi.Brand(secondUnknown));
        var second = await api.WatchDeployedAsync(previous: first);
        await watching.CancelAsync();
        await watcher;

        var versions = await api.VersionsAsync();
        Assert.Equal("RUNNING", versions[second]);
        Assert.Equal("STOPPED", versions[first]);
        Assert.All(snapshots, s => Assert.Contains("RUNNING", s.Values));
        Assert.All(snapshots.Where(s => s.GetValueOrDefault(first) == "STOPPED"), s => Assert.Equal("RUNNING", s[second]));
        var state = await api.SystemStateAsync();
        Assert.Equal(first, (string)state["previousVersion"]!);
        var deploys = await api.FinishedThroughAsync(WorkflowEvents.Branches.Training, "DeployVersion");
        Assert.Equal(2, deploys.Count);
        var secondHistory = await api.HistoryAsync((string)deploys[1]["executionId"]!);
        var deployed = secondHistory.Last(e => (string)e!["type"]! == "TaskSucceeded" && PreviousState(secondHistory, e!) == "DeployVersion")!;
        var deployOutput = JsonNode.Parse((string)deployed["output"]!)!;
        Assert.Equal(first, (string)deployOutput["previousVersion"]!);
        Assert.True((bool)deployOutput["stoppedPrevious"]!);

        // 7. Each branch's history holds Step Functions' event types, and the states it went through.
        AssertHistory(secondHistory, ["TaskScheduled", "TaskStarted", "TaskSucceeded", "ChoiceStateEntered", "WaitStateEntered", "WaitStateExited", "SucceedStateEntered"],
            ["CheckTraining", "WriteManifest", "CreateProjectVersion", "WaitForTraining", "DescribeTraining", "EvaluateVersion", "StartProjectVersion", "WaitForStart", "DescribeStart", "DeployVersion", "Deployed"]);
        AssertHistory(appliedHistory, ["TaskScheduled", "TaskSucceeded", "ChoiceStateEntered", "SucceedStateEntered"],
            ["ApplyParameterChange", "NotifyParameterChange", "ParameterApplied"]);
        AssertHistory(await api.HistoryAsync((string)known["executionId"]!), ["TaskScheduled", "TaskSucceeded", "PassStateEntered", "ChoiceStateEntered"],
            ["DetectCustomLabels", "LogDetection", "NeedsReview", "DetectionResult"]);
        var firstUnknownHistory = await api.HistoryAsync((string)firstUnknown["executionId"]!);
        Assert.Contains("CreateHumanLoop", PipelineApi.EnteredStates(firstUnknownHistory));
        AssertHistory(await api.HistoryAsync(copied.ExecutionId), ["TaskScheduled", "TaskSucceeded", "PassStateEntered", "ChoiceStateEntered"],
            ["ReadHumanLoopAnswer", "ShouldAddToTrainingSet", "CopyToTrainingSet", "LogReview", "ReviewResult"]);

        // Turning the schedule off re-arms it too: no next run.
        await api.PutParameterAsync("Enable-Automatic-Training", "false");
        await PipelineApi.WatchAsync("the training schedule to be turned off", async () =>
            (await schedules.DescribeAsync()).Single(s => s.Name == WorkflowEvents.Branches.Training) is { Enabled: false, NextRun: null } off ? off : null);
    }

    private static string CopiedKey(string loop, string label, string name) =>
        $"^images_labeled_by_folder/{Regex.Escape(label)}/{Regex.Escape(loop)}-[0-9a-f-]{{32,36}}-{Regex.Escape(name)}$";

    private static string? PreviousState(JsonArray history, JsonNode taskEvent)
    {
        var entered = history.Last(e => (long)e!["id"]! < (long)taskEvent["id"]! && ((string)e["type"]!).EndsWith("StateEntered", StringComparison.Ordinal));
        return (string?)entered!["stateName"];
    }

    private static void AssertHistory(JsonArray history, string[] types, string[] states)
    {
        var seen = PipelineApi.Types(history);
        Assert.Equal("ExecutionStarted", seen[0]);
        Assert.Equal("ExecutionSucceeded", seen[^1]);
        Assert.All(types, t => Assert.Contains(t, seen));
        var entered = PipelineApi.EnteredStates(history);
        var position = -1;
        foreach (var state in states)
        {
            var at = entered.ToList().FindIndex(position + 1, s => s == state);
            Assert.True(at > position, $"{state} is not entered after {(position < 0 ? "the start" : entered[position])}: {string.Join(", ", entered)}");
            position = at;
        }
    }

}
