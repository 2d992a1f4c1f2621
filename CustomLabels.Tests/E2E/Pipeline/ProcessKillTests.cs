using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core;
using CustomLabels.Core.Data;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Detections.Embedded;
using CustomLabels.Core.Storage;

namespace CustomLabels.Tests.E2E.Pipeline;

/// <summary>
/// The real product in its own process, killed in the middle of a training run and started again on the same data
/// directory: the run resumes and completes, and nothing sent before or during the outage is lost.
/// </summary>
[Collection(TrainingPipelines.Name)]
public sealed class ProcessKillTests
{
    private const string ApiKey = "bootstrap-key-for-process-tests-0123456789";

    [Fact]
    public async Task KilledMidTrainingTheProductResumesTheRunAndLosesNoDetectionOrAnswer()
    {
        using var data = new TempDirectory();
        var settings = ContinuousImprovementLoopTests.FastTime.Where(s => s.Key != "CustomLabels:BootstrapApiKey").ToDictionary();

        // Before the kill: a first version serves, a known and an unknown image are detected, the loop is answered,
        // and a second training run is under way.
        string first, second, trainingRun, loop;
        JsonObject known, unknown;
        await using (var product = await ProductProcess.StartAsync(data.Path, ApiKey, settings))
        {
            var api = new PipelineApi(product.Client);
            await api.UploadDemoTrainingSetAsync();
            await StartTrainingAsync(product.Client);
            first = await api.WatchDeployedAsync(previous: null);

            known = await PipelineApi.DetectAsync(product.Client, PipelineApi.InferenceImagesLabelled(l => l == "godot")[0]);
            var reviewed = await PipelineApi.DetectUnknownLogosAsync(product.Client, threshold: 70);
            unknown = reviewed.Count > 0 ? reviewed[0] : throw new Xunit.Sdk.XunitException("None of the unknown logos went to review.");
            loop = (string)unknown["humanLoopName"]!;
            await PipelineApi.AnswerAsync(product.Client, loop, PipelineApi.Brand(unknown));

            trainingRun = await StartTrainingAsync(product.Client);
            // Retraining embeds only the new image, so training may last moments: the versions are read back to back.
            second = await PipelineApi.WatchAsync("the second version to be training", async () =>
                (await api.VersionsAsync()).Where(v => v.Key != first && v.Value == "TRAINING_IN_PROGRESS").Select(v => v.Key).FirstOrDefault(),
                interval: TimeSpan.Zero);
            await product.KillAsync();
        }

        // While it is down, images are dropped into the bucket folder by hand.
        var dropped = PipelineApi.InferenceImagesLabelled(l => l is "keepassxc" or "unknown:pidgin").Take(2)
            .Select(path => (Path: path, Key: $"{BucketLayout.DetectionImages}dropped-{Path.GetFileName(path)}"))
            .ToList();
        foreach (var (path, key) in dropped)
        {
            File.Copy(path, data.Combine(["bucket", .. key.Split('/')]));
        }

        await using var restarted = await ProductProcess.StartAsync(data.Path, ApiKey, settings);
        var after = new PipelineApi(restarted.Client);

        // The training run resumes where it was and deploys the second version.
        var finished = await PipelineApi.WatchAsync($"run {trainingRun} to finish", async () =>
            await after.ExecutionAsync(trainingRun) is var run && (string)run["summary"]!["status"]! != "RUNNING" ? run : null);
        Assert.True((string)finished["summary"]!["status"]! == "SUCCEEDED", $"{finished}{Environment.NewLine}{restarted.Output}");
        Assert.Equal(second, await after.WatchDeployedAsync(previous: first));
        var history = await after.HistoryAsync(trainingRun);
        Assert.Single(PipelineApi.EnteredStates(history), s => s == "CreateProjectVersion");
        Assert.Contains("DeployVersion", PipelineApi.EnteredStates(history));

        // The answer given before the kill is in the training set, and its review is logged.
        var copied = await after.WatchCopiedAsync(loop);
        Assert.True(File.Exists(data.Combine(["bucket", .. copied.Key.Split('/')])), $"{copied.Key} is not in the bucket");

        // Every detection is in the log: the two sent before the kill and the two dropped while the product was down.
        var log = await PipelineApi.WatchAsync("the dropped images' detections to be logged", async () =>
        {
            var records = await ReadDetectionLogAsync(data);
            return dropped.All(d => records.Any(r => r.ObjectKey == d.Key && r.VersionName is not null)) ? records : null;
        });
        var knownRecord = Assert.Single(log, r => r.ObjectKey == (string)known["objectKey"]!);
        Assert.Equal("godot", knownRecord.Label);
        var unknownRecord = Assert.Single(log, r => r.ObjectKey == (string)unknown["objectKey"]!);
        Assert.Equal(loop, unknownRecord.HumanLoopName);
        Assert.Equal(PipelineApi.Brand(unknown), unknownRecord.HumanLabel);
        Assert.Equal(copied.Key, unknownRecord.CopiedKey);
        Assert.All(dropped, d => Assert.Single(log, r => r.ObjectKey == d.Key));
    }

    private static async Task<string> StartTrainingAsync(HttpClient operatorClient)
    {
        using var response = await operatorClient.PostAsync("/api/training", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["executionId"]!;
    }

    /// <summary>The detection log as the product keeps it on disk, read while the product runs.</summary>
    private static async Task<IReadOnlyList<DetectionRecord>> ReadDetectionLogAsync(TempDirectory data)
    {
        using var database = new SqliteDatabase(data.Combine("customlabels.db"), [SqliteDetectionLog.Migration, SqliteDetectionLog.RejectedKeyMigration]);
        var log = new SqliteDetectionLog(database, new PipelineEvents(), TimeProvider.System);
        var records = new List<DetectionRecord>();
        string? next = null;
        do
        {
            var page = await log.QueryAsync(new DetectionQuery(NextToken: next, MaxResults: 100));
            records.AddRange(page.Items);
            next = page.NextToken;
        }
        while (next is not null);

        return records;
    }
}
