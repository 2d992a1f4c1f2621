using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models.Embedded;
using CustomLabels.Tests.Core.Models;
using CustomLabels.Tests.Web.Api;
using Xunit.Abstractions;

namespace CustomLabels.Tests.E2E.Pipeline;

/// <summary>
/// The product as a new user meets it, over its HTTP API with the real model and the default parameters (time shortened
/// by configuration only): the first run on the shipped samples, and rounds of truthful review answers that must make
/// the next version better on photos it never saw.
/// </summary>
[Collection(TrainingPipelines.Name)]
public sealed class LearningFromReviewsTests(ITestOutputHelper output)
{
    private const double Threshold = 70;

    private static string Samples { get; } = FindSamples();

    [Fact]
    public async Task TheFirstRunAcceptsEveryKnownSamplePhotoAndSendsEveryUnknownOneToReview()
    {
        await using var app = await RunningApp.StartAsync(ContinuousImprovementLoopTests.FastTime);
        var api = new PipelineApi(app.Client(RunningApp.BootstrapKey));
        var consumer = app.Client(await app.CreateKeyAsync("Consumer"));
        Assert.Equal(10, (int)(await api.UploadLabelFoldersAsync(Path.Combine(Samples, "train")))["stored"]!);
        await api.StartTrainingAsync();
        var version = await api.WatchDeployedAsync(previous: null);

        var truth = File.ReadLines(Path.Combine(Samples, "labels.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] == "inference").ToDictionary(f => Path.GetFileName(f[1]), f => f[2], StringComparer.Ordinal);
        foreach (var (file, label) in truth.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var answer = await PipelineApi.DetectAsync(consumer, Path.Combine(Samples, "inference", file));
            var top = answer["CustomLabels"]!.AsArray().FirstOrDefault();
            var confidence = top is null ? 0 : (double)top["Confidence"]!;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file} ({label}): {top?["Name"]} {confidence:0.0}, loop {answer["humanLoopName"]}"));
            Assert.Equal(version, (string)answer["versionName"]!);
            if (label.StartsWith("unknown:", StringComparison.Ordinal))
            {
                Assert.True(confidence < Threshold, $"{file}, a {label} logo, was accepted as {top?["Name"]} at {confidence}");
                Assert.NotNull((string?)answer["humanLoopName"]);
            }
            else
            {
                Assert.Equal(label, (string)top!["Name"]!);
                Assert.True(confidence >= Threshold, $"{file}, a {label} photo, scored {confidence}");
                Assert.Null((string?)answer["humanLoopName"]);
                Assert.NotNull(top["Geometry"]?["BoundingBox"]);
            }
        }
    }

    [Fact]
    public async Task TruthfulAnswersToOneHalfOfThePhotosMakeTheNextVersionBetterOnTheOther()
    {
        await using var app = await RunningApp.StartAsync(ContinuousImprovementLoopTests.FastTime);
        var api = new PipelineApi(app.Client(RunningApp.BootstrapKey));
        var consumer = app.Client(await app.CreateKeyAsync("Consumer"));
        var reviewer = app.Client(await app.CreateKeyAsync("Reviewer"));
        await api.UploadLabelFoldersAsync(Path.Combine(ModelTestEnvironment.LogosDev, "train"));
        await api.StartTrainingAsync();
        var v1 = await api.WatchDeployedAsync(previous: null);

        // Every photo of test/ and unknown/, in two halves by content hash.
        var photos = File.ReadLines(Path.Combine(ModelTestEnvironment.LogosDev, "labels.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] is "test" or "unknown")
            .Select(f => new Photo(Path.Combine(ModelTestEnvironment.LogosDev, f[1]), f[0] == "test" ? f[2] : null))
            .ToList();
        var halfA = photos.Where(p => SHA256.HashData(File.ReadAllBytes(p.Path))[0] % 2 == 0).ToList();
        var halfB = photos.Except(halfA).ToList();

        // Round 1: half B is scored by v1 before anything is learnt; half A's loops are answered with the truth, and
        // once every answer is in the training set, the scheduled check (its period brought down to a minute, one second
        // here) trains and deploys v2. The period goes back up while answers come in, so one version learns them all.
        var v1OnB = await DetectAllAsync(consumer, halfB, v1);
        var v1OnA = await DetectAllAsync(consumer, halfA, v1);
        var answered = await AnswerLoopsAsync(reviewer, v1OnA);
        await WatchReviewedAsync(api, answered);
        await api.PutParameterAsync("Automatic-Training-Poll-Frequency", "1");
        var v2 = await api.WatchDeployedAsync(previous: v1);
        await api.PutParameterAsync("Automatic-Training-Poll-Frequency", "720");
        var v2OnB = await DetectAllAsync(consumer, halfB, v2);
        var round1 = (Before: Figures.Of(v1OnB), After: Figures.Of(v2OnB));
        output.WriteLine($"round 1: {answered} loops of half A answered; on half B, {v1} {round1.Before}; {v2} {round1.After}");

        // Round 2: half B's loops (opened by v2) are answered, v3 is trained, and both are scored on half A.
        var v2OnA = await DetectAllAsync(consumer, halfA, v2);
        var answeredB = await AnswerLoopsAsync(reviewer, v2OnB);
        await WatchReviewedAsync(api, answered + answeredB);
        await api.PutParameterAsync("Automatic-Training-Poll-Frequency", "1");
        var v3 = await api.WatchDeployedAsync(previous: v2);
        var round2 = (Before: Figures.Of(v2OnA), After: Figures.Of(await DetectAllAsync(consumer, halfA, v3)));
        output.WriteLine($"round 2: {answeredB} loops of half B answered; on half A, {v2} {round2.Before}; {v3} {round2.After}");

        // The answers taught: on photos none of them showed, unknown logos are rejected at least as well, known ones
        // are accepted at least as well, and the scores separate the two better.
        Assert.True(round1.After.UnknownRejected >= round1.Before.UnknownRejected, $"unknown rejection fell: {round1}");
        Assert.True(round1.After.KnownAccepted >= round1.Before.KnownAccepted, $"known acceptance fell: {round1}");
        Assert.True(round1.After.Auroc > round1.Before.Auroc, $"AUROC did not rise: {round1}");

        // The second round improves or holds, within one photo either way.
        var oneKnown = 1.0 / halfA.Count(p => p.Truth is not null);
        var oneUnknown = 1.0 / halfA.Count(p => p.Truth is null);
        Assert.True(round2.After.KnownAccepted >= round2.Before.KnownAccepted - oneKnown - 1e-9, $"round 2: {round2}");
        Assert.True(round2.After.UnknownRejected >= round2.Before.UnknownRejected - oneUnknown - 1e-9, $"round 2: {round2}");
        Assert.True(round2.After.Auroc >= round2.Before.Auroc - 0.01, $"round 2: {round2}");
    }

    /// <summary>Sends every photo through <c>POST /api/detect</c>, four at a time, and checks which version answered.</summary>
    private static async Task<List<(Photo Photo, JsonObject Answer)>> DetectAllAsync(HttpClient consumer, List<Photo> photos, string version)
    {
        using var gate = new SemaphoreSlim(4);
        var answers = await Task.WhenAll(photos.Select(async photo =>
        {
            await gate.WaitAsync();
            try
            {
                return (photo, await PipelineApi.DetectAsync(consumer, photo.Path));
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.All(answers, a => Assert.Equal(version, (string)a.Item2["versionName"]!));
        return [.. answers];
    }

    /// <summary>Waits until the review branch has run to its end for <paramref name="answers"/> answers in all.</summary>
    private static Task<string> WatchReviewedAsync(PipelineApi api, int answers) =>
        PipelineApi.WatchAsync($"{answers} review runs to succeed", async () =>
        {
            var done = (await api.ExecutionsAsync(global::CustomLabels.Core.Workflow.WorkflowEvents.Branches.Review)).Count(r => (string)r["status"]! == "SUCCEEDED");
            return done >= answers ? done.ToString(CultureInfo.InvariantCulture) : null;
        });

    /// <summary>Answers every loop the detections opened with the truth: the brand, or none of the above.</summary>
    private static async Task<int> AnswerLoopsAsync(HttpClient reviewer, List<(Photo Photo, JsonObject Answer)> detections)
    {
        var answered = 0;
        foreach (var (photo, answer) in detections)
        {
            if ((string?)answer["humanLoopName"] is not { } loop)
            {
                continue;
            }

            _ = photo.Truth is { } brand
                ? await PipelineApi.AnswerAsync(reviewer, loop, brand)
                : await PipelineApi.AnswerNoneOfTheAboveAsync(reviewer, loop);
            answered++;
        }

        return answered;
    }

    private static string FindSamples()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples");
            if (File.Exists(Path.Combine(candidate, "labels.csv")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("No samples folder above " + AppContext.BaseDirectory);
    }

    private sealed record Photo(string Path, string? Truth);

    /// <summary>Accepted with the right label at 70, unknown rejected at 70, and the AUROC of the top confidence.</summary>
    private sealed record Figures(double KnownAccepted, double UnknownRejected, double Auroc)
    {
        public static Figures Of(List<(Photo Photo, JsonObject Answer)> detections)
        {
            static (string? Name, double Confidence) Top(JsonObject answer) =>
                answer["CustomLabels"]!.AsArray().FirstOrDefault() is { } top ? ((string?)top["Name"], (double)top["Confidence"]!) : (null, 0);
            var known = detections.Where(d => d.Photo.Truth is not null).Select(d => (d.Photo.Truth, Top: Top(d.Answer))).ToList();
            var unknown = detections.Where(d => d.Photo.Truth is null).Select(d => Top(d.Answer)).ToList();
            return new Figures(
                known.Count(k => k.Top.Name == k.Truth && k.Top.Confidence >= Threshold) / (double)known.Count,
                unknown.Count(u => u.Confidence < Threshold) / (double)unknown.Count,
                Metrics.Auroc([.. known.Select(k => k.Top.Confidence)], [.. unknown.Select(u => u.Confidence)]));
        }

        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture, $"accepted-correct {KnownAccepted:0.000}, unknown rejected {UnknownRejected:0.000}, AUROC {Auroc:0.000}");
    }
}
