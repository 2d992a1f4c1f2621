using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>The input of the steps that act on one version.</summary>
internal sealed record VersionInput(string VersionName, string? ManifestKey = null, string? TestManifestKey = null, string? NegativesManifestKey = null);

/// <summary>A version's status as the Choice states read it.</summary>
internal sealed record VersionStatus(
    string VersionName,
    ProjectVersionStatus Status,
    string? StatusMessage,
    double? F1Score,
    double? TrainingProgress,
    string ProjectVersionArn)
{
    public static VersionStatus Of(ProjectVersion version) => new(
        version.VersionName, version.Status, version.StatusMessage, version.F1Score, version.TrainingProgress, version.ProjectVersionArn);
}

/// <summary>
/// Training branch: splits the training set as it is now into <c>manifests/&lt;version&gt;.manifest</c> (the images to
/// train on) and <c>manifests/&lt;version&gt;.test.manifest</c> (the test split), by <see cref="TestSplit"/>: every image
/// of the previous version's test split that is still in the training set stays a test image, and a new image is a test
/// image when its content hash falls in the first TestFraction of the hash space. The system state records which test
/// manifest the split was chained from, so running the step again for the same version splits the same way. When the
/// model learns from images answered "none of the above" and <c>images_rejected/</c> has some, it also writes
/// <c>manifests/&lt;version&gt;.negatives.manifest</c> of them (otherwise there is none).
/// </summary>
internal sealed partial class WriteManifestHandler(
    IObjectStore store,
    ICustomLabelsModel model,
    SystemStateStore state,
    IOptions<WorkflowStepOptions> options,
    TimeProvider time,
    ILogger<WriteManifestHandler> logger)
    : TaskHandler<VersionInput, WriteManifestHandler.Result>
{
    public override string Name => "WriteManifest";

    protected override async Task<Result> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var current = await state.ReadAsync(cancellationToken);
        var bucket = current.Bucket ?? TrainingManifest.DefaultBucket;
        var chainedFrom = current.TestSplit is { } split
            ? split.VersionName == input.VersionName ? split.ChainedFromKey : split.TestManifestKey
            : null;
        var sticky = chainedFrom is null ? new HashSet<string>(StringComparer.Ordinal) : await StickyTestImagesAsync(chainedFrom, cancellationToken);

        var entries = await TrainingManifest.ListAsync(store, cancellationToken: cancellationToken);
        var (training, test) = TestSplit.Split(entries, options.Value.TestFraction, sticky);
        var now = time.GetUtcNow();
        var manifestKey = TrainingManifest.KeyFor(input.VersionName);
        var testManifestKey = TrainingManifest.TestKeyFor(input.VersionName);
        await TrainingManifest.WriteEntriesAsync(store, testManifestKey, test, bucket, now, cancellationToken);
        await TrainingManifest.WriteEntriesAsync(store, manifestKey, training, bucket, now, cancellationToken);
        await state.UpdateAsync(s => s with { TestSplit = new StickyTestSplit(input.VersionName, testManifestKey, chainedFrom) }, cancellationToken);
        var (negativesKey, negatives) = await WriteNegativesAsync(input.VersionName, bucket, cancellationToken);

        return new Result(
            input.VersionName,
            manifestKey,
            test.Count > 0 ? testManifestKey : null,
            entries.Count,
            training.Count,
            test.Count,
            test.Count(e => sticky.Contains(TestSplit.ContentId(e))),
            [.. entries.Select(e => e.Label).Distinct(StringComparer.Ordinal)],
            negativesKey,
            negatives);
    }

    private async Task<(string? Key, int Count)> WriteNegativesAsync(string versionName, string bucket, CancellationToken cancellationToken)
    {
        if (!model.LearnsFromRejectedImages)
        {
            return (null, 0);
        }

        var key = TrainingManifest.NegativesKeyFor(versionName);
        var written = await TrainingManifest.WriteNegativesAsync(store, key, bucket, cancellationToken: cancellationToken);
        if (written.Count > 0)
        {
            return (key, written.Count);
        }

        // None to learn from: no manifest, not even one left by an earlier attempt of this step.
        await store.DeleteAsync(key, cancellationToken);
        return (null, 0);
    }


    /// <summary>The content hashes of an earlier test split; none (and a warning) when its manifest is gone.</summary>
    private async Task<HashSet<string>> StickyTestImagesAsync(string testManifestKey, CancellationToken cancellationToken)
    {
        try
        {
            var sticky = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in await TrainingManifest.ReadAsync(store, testManifestKey, cancellationToken))
            {
                sticky.Add(entry.ETag ?? (await store.HeadAsync(entry.Key, cancellationToken))?.ETag ?? entry.Key);
            }

            return sticky;
        }
        catch (ObjectNotFoundException)
        {
            LogEarlierTestSplitMissing(logger, testManifestKey);
            return new HashSet<string>(StringComparer.Ordinal);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The earlier test manifest {Key} is gone; the new test split is drawn by content hash alone")]
    private static partial void LogEarlierTestSplitMissing(ILogger logger, string key);

    /// <summary>What the step wrote.</summary>
    /// <param name="VersionName">The version.</param>
    /// <param name="ManifestKey">The training manifest: the images the version trains on.</param>
    /// <param name="TestManifestKey">The test manifest, or null when the test split is empty (the model then splits none off either).</param>
    /// <param name="ImageCount">Every image of the training set.</param>
    /// <param name="TrainingImageCount">Images in the training manifest.</param>
    /// <param name="TestImageCount">Images in the test manifest.</param>
    /// <param name="KeptTestImageCount">Of the test images, those that were in the previous test split.</param>
    /// <param name="Labels">The labels.</param>
    /// <param name="NegativesManifestKey">The negatives manifest, or null when there is none.</param>
    /// <param name="NegativeImageCount">Images in the negatives manifest.</param>
    public sealed record Result(
        string VersionName,
        string ManifestKey,
        string? TestManifestKey,
        int ImageCount,
        int TrainingImageCount,
        int TestImageCount,
        int KeptTestImageCount,
        IReadOnlyList<string> Labels,
        string? NegativesManifestKey,
        int NegativeImageCount);
}

/// <summary>
/// Training branch: starts training the version, with the negatives manifest when WriteManifest wrote one; if the
/// version exists already (the step ran before), describes it.
/// </summary>
internal sealed class CreateProjectVersionHandler(ICustomLabelsModel model) : TaskHandler<VersionInput, VersionStatus>
{
    public override string Name => "CreateProjectVersion";

    protected override async Task<VersionStatus> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var existing = await model.DescribeProjectVersionsAsync([input.VersionName], cancellationToken);
        if (existing.Count > 0)
        {
            return VersionStatus.Of(existing[0]);
        }

        var manifest = input.ManifestKey
            ?? throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"No manifest was given to train {input.VersionName} from.");
        var negatives = model.LearnsFromRejectedImages ? input.NegativesManifestKey : null;
        return VersionStatus.Of(await model.CreateProjectVersionAsync(
            new CreateProjectVersionRequest(input.VersionName, manifest, input.TestManifestKey, negatives), cancellationToken));
    }
}

/// <summary>Training branch: describes a version while the definition polls it (training, then starting).</summary>
internal sealed class DescribeProjectVersionHandler(ICustomLabelsModel model) : TaskHandler<VersionInput, VersionStatus>
{
    public override string Name => "DescribeProjectVersion";

    protected override async Task<VersionStatus> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken) =>
        VersionStatus.Of(await DescribeAsync(model, input.VersionName, cancellationToken));

    public static async Task<ProjectVersion> DescribeAsync(ICustomLabelsModel model, string versionName, CancellationToken cancellationToken)
    {
        var versions = await model.DescribeProjectVersionsAsync([versionName], cancellationToken);
        return versions.Count > 0
            ? versions[0]
            : throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"There is no version named '{versionName}'.");
    }
}

/// <summary>
/// Training branch: the F1 gate. A version passes when its F1 on its test split, as its evaluation summary reports it,
/// is at least Minimum-F1-Score and, when a version is running, it is not worse than the running version on the same
/// test images by more than MaxF1Drop. The running version is scored on the new version's test images (at most
/// MaxComparisonImages of them, lowest in the hash space) by DetectCustomLabels at MinConfidence 0, and its F1 comes
/// from the same function as the new version's evaluation (<see cref="EvaluationSummary.FromPredictions"/>). The
/// decision is kept at <c>evaluation/&lt;version&gt;/comparison.json</c>; the step run again returns it unchanged.
/// </summary>
internal sealed partial class EvaluateVersionHandler(
    ICustomLabelsModel model,
    IParameterStore parameters,
    IObjectStore store,
    SystemStateStore state,
    IOptions<WorkflowStepOptions> options,
    TimeProvider time,
    PipelineEvents events,
    ILogger<EvaluateVersionHandler> logger)
    : TaskHandler<VersionInput, EvaluateVersionHandler.Result>
{
    public override string Name => "EvaluateVersion";

    protected override async Task<Result> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var version = await DescribeProjectVersionHandler.DescribeAsync(model, input.VersionName, cancellationToken);
        var comparison = await VersionComparison.TryReadAsync(store, version.VersionName, cancellationToken)
            ?? await DecideAsync(version, input.TestManifestKey, cancellationToken);
        return ResultOf(comparison, version.EvaluationSummaryKey);
    }

    private async Task<VersionComparison> DecideAsync(ProjectVersion version, string? testManifestKey, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var minimum = (await parameters.GetSettingsAsync(cancellationToken)).MinimumF1Score;
        var summary = version.EvaluationSummaryKey is { } summaryKey && await store.HeadAsync(summaryKey, cancellationToken) is not null
            ? await EvaluationSummary.ReadAsync(store, summaryKey, cancellationToken)
            : null;
        var f1 = summary?.AggregatedEvaluationResults.F1Score ?? version.F1Score;
        var tested = summary?.EvaluationDetails.NumberOfTestingImages ?? version.TestImageCount ?? 0;
        var (running, baseline, note) = f1 is null
            ? (null, null, null)
            : await ScoreRunningVersionAsync(version, testManifestKey, summary, cancellationToken);

        var drop = baseline is null ? (double?)null : Math.Round(baseline.F1 - f1!.Value, 4);
        var worse = drop > o.MaxF1Drop + 1e-9;
        var deploy = f1 >= minimum && !worse;
        var v = version.VersionName;
        var own = Invariant($"Version {v} scored F1 {f1:0.000} on its {tested} test image(s)");
        var other = baseline is null
            ? note ?? "no version is running to compare it with"
            : Invariant($"the running version {running} scored F1 {baseline.F1:0.000} on {(baseline.Compared < tested ? $"{baseline.Compared} of the same images" : $"the same {baseline.Compared} image(s)")}");
        var reason = f1 is null
            ? $"Version {v} has no F1 score ({Wire(version.Status)}); it is not deployed."
            : deploy
                ? Invariant($"{own} (minimum {minimum:0.000}); {other}. Deploying {v}.")
                : f1 < minimum
                    ? Invariant($"{own}, below {ParameterNames.MinimumF1Score} ({minimum:0.000}); {other}. It is not deployed and the running version goes on serving.")
                    : Invariant($"{own}; {other}. {v} is worse by {drop:0.000}, more than the {o.MaxF1Drop:0.000} allowed ({WorkflowStepOptions.SectionName}:{nameof(WorkflowStepOptions.MaxF1Drop)}); it is not deployed and {running} goes on serving.");

        var comparison = new VersionComparison
        {
            VersionName = v,
            F1Score = f1,
            MinimumF1Score = minimum,
            TestImages = tested,
            RunningVersion = running,
            RunningVersionF1Score = baseline?.F1,
            ComparedImages = baseline?.Compared ?? 0,
            MaxF1Drop = o.MaxF1Drop,
            Deploy = deploy,
            Reason = reason,
            DecidedAt = time.GetUtcNow(),
        };
        await comparison.WriteAsync(store, cancellationToken);
        events.Publish(new PipelineEvent(PipelineEventKind.ProjectVersion, v));
        LogDecided(logger, v, f1, running, baseline?.F1, deploy);
        return comparison;
    }

    /// <summary>
    /// The running version (when one other than this one runs) and its F1 on the new version's test images, or a note
    /// that says why it was not scored.
    /// </summary>
    private async Task<(string? Running, Baseline? Baseline, string? Note)> ScoreRunningVersionAsync(
        ProjectVersion version, string? testManifestKey, EvaluationSummary? summary, CancellationToken cancellationToken)
    {
        var current = await state.ReadAsync(cancellationToken);
        if (current.RunningVersion is not { } running || running == version.VersionName)
        {
            return (null, null, null);
        }

        var described = await model.DescribeProjectVersionsAsync([running], cancellationToken);
        if (described.Count == 0 || described[0].Status != ProjectVersionStatus.Running)
        {
            return (running, null, $"the running version {running} is {(described.Count == 0 ? "gone" : Wire(described[0].Status))}, so it was not compared");
        }

        testManifestKey ??= version.TestManifestKey ?? TrainingManifest.TestKeyFor(version.VersionName);
        if (await store.HeadAsync(testManifestKey, cancellationToken) is null)
        {
            return (running, null, $"the running version {running} was not compared: {version.VersionName} has no test manifest");
        }

        var test = (await TrainingManifest.ReadAsync(store, testManifestKey, cancellationToken))
            .OrderBy(TestSplit.HashPosition).ThenBy(e => e.Key, StringComparer.Ordinal)
            .Take(options.Value.MaxComparisonImages)
            .ToList();
        var labels = summary?.EvaluationDetails.Labels
            ?? [.. test.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var predictions = new List<(string Truth, string Predicted, float Confidence)>();
        foreach (var entry in test)
        {
            try
            {
                var image = await store.ReadAllBytesAsync(entry.Key, cancellationToken);
                var result = await model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(running, image, MinConfidence: 0) { ImageKey = entry.Key }, cancellationToken);
                var top = result.CustomLabels.Count > 0 ? result.CustomLabels[0] : null;
                predictions.Add((entry.Label, top?.Name ?? string.Empty, top?.Confidence ?? 0));
            }
            catch (Exception e) when (e is ObjectNotFoundException or InvalidImageException or ImageTooLargeException)
            {
                LogComparisonImageSkipped(logger, entry.Key, e.Message);
            }
            catch (ModelNotRunningException)
            {
                return (running, null, $"the running version {running} stopped while it was being compared");
            }
        }

        if (predictions.Count == 0)
        {
            return (running, null, $"the running version {running} was not compared: none of the test images could be read");
        }

        var scored = EvaluationSummary.FromPredictions(
            labels, predictions, EvaluationSummary.DefaultThreshold, described[0].ProjectVersionArn, 0, time.GetUtcNow());
        return (running, new Baseline(scored.AggregatedEvaluationResults.F1Score, predictions.Count), null);
    }

    private static Result ResultOf(VersionComparison c, string? evaluationSummaryKey)
    {
        var subject = c.Deploy
            ? $"{c.VersionName} passed the F1 gate"
            : c.F1Score >= c.MinimumF1Score && c.RunningVersion is { } running
                ? $"{c.VersionName} failed the F1 gate: worse than {running}"
                : $"{c.VersionName} failed the F1 gate";
        return new Result(
            c.VersionName,
            c.Deploy,
            c.F1Score,
            c.MinimumF1Score,
            evaluationSummaryKey,
            c.RunningVersion,
            c.RunningVersionF1Score,
            c.ComparedImages,
            c.MaxF1Drop,
            c.Reason,
            VersionComparison.KeyFor(c.VersionName),
            NotificationRequest.Operator(subject, c.Reason, c.Deploy ? "info" : "warning"));
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static string Wire(ProjectVersionStatus status) =>
        System.Text.Json.JsonSerializer.Serialize(status).Trim('"');

    [LoggerMessage(Level = LogLevel.Warning, Message = "Test image {Key} was left out of the comparison with the running version: {Reason}")]
    private static partial void LogComparisonImageSkipped(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Version {Version} F1 {F1}; running version {Running} F1 {RunningF1} on the same images; deploy: {Deploy}")]
    private static partial void LogDecided(ILogger logger, string version, double? f1, string? running, double? runningF1, bool deploy);

    private sealed record Baseline(double F1, int Compared);

    /// <summary>The gate's decision.</summary>
    public sealed record Result(
        string VersionName,
        bool Passed,
        double? F1Score,
        double MinimumF1Score,
        string? EvaluationSummaryKey,
        string? RunningVersion,
        double? RunningVersionF1Score,
        int ComparedImages,
        double MaxF1Drop,
        string Reason,
        string ComparisonKey,
        NotificationRequest Notification);
}

/// <summary>Training branch: starts the new version with Minimum-Inference-Units, beside the one serving.</summary>
internal sealed class StartProjectVersionHandler(ICustomLabelsModel model, IParameterStore parameters) : TaskHandler<VersionInput, VersionStatus>
{
    public override string Name => "StartProjectVersion";

    protected override async Task<VersionStatus> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var version = await DescribeProjectVersionHandler.DescribeAsync(model, input.VersionName, cancellationToken);
        if (version.Status is ProjectVersionStatus.Running or ProjectVersionStatus.Starting)
        {
            return VersionStatus.Of(version);
        }

        var units = (await parameters.GetSettingsAsync(cancellationToken)).MinimumInferenceUnits;
        return VersionStatus.Of(await model.StartProjectVersionAsync(input.VersionName, units, cancellationToken));
    }
}

/// <summary>
/// Training branch, blue-green switch: once the new version is RUNNING, detection is pointed at it (the system
/// state records it with its trained image set: its manifest, and the negatives manifest the model recorded for it, so
/// that images answered "none of the above" since then count as untrained), and only then is the previous version stopped. If the new version
/// is not running, nothing changes and the previous one goes on serving.
/// </summary>
internal sealed class DeployVersionHandler(ICustomLabelsModel model, SystemStateStore state, TimeProvider time, PipelineEvents events)
    : TaskHandler<VersionInput, DeployVersionHandler.Result>
{
    public override string Name => "DeployVersion";

    protected override async Task<Result> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var version = await DescribeProjectVersionHandler.DescribeAsync(model, input.VersionName, cancellationToken);
        if (version.Status != ProjectVersionStatus.Running)
        {
            throw new WorkflowTaskException(
                WorkflowErrors.VersionFailed,
                $"Version {version.VersionName} is {version.Status}, not RUNNING; the running version was left serving.");
        }

        var manifest = input.ManifestKey ?? version.TrainingManifestKey;
        var testManifest = input.TestManifestKey ?? version.TestManifestKey;
        var updated = await state.UpdateAsync(
            s => s.RunningVersion == version.VersionName
                ? s
                : s with
                {
                    PreviousVersion = s.RunningVersion,
                    RunningVersion = version.VersionName,
                    RunningVersionArn = version.ProjectVersionArn,
                    RunningSince = time.GetUtcNow(),
                    TrainedManifestKey = manifest,
                    TrainedNegativesManifestKey = model.LearnsFromRejectedImages ? input.NegativesManifestKey ?? version.NegativesManifestKey : null,
                    TrainedTestManifestKey = testManifest,
                    Bucket = s.Bucket ?? TrainingManifest.DefaultBucket,
                },
            cancellationToken);
        events.Publish(new PipelineEvent(PipelineEventKind.ProjectVersion, version.VersionName));

        var stopped = false;
        if (updated.PreviousVersion is { } previous && previous != version.VersionName)
        {
            var old = await model.DescribeProjectVersionsAsync([previous], cancellationToken);
            if (old.Count > 0 && old[0].Status is ProjectVersionStatus.Running or ProjectVersionStatus.Starting)
            {
                await model.StopProjectVersionAsync(previous, cancellationToken);
                stopped = true;
            }
        }

        return new Result(
            version.VersionName,
            updated.PreviousVersion,
            stopped,
            NotificationRequest.Operator(
                $"{version.VersionName} is serving",
                $"Version {version.VersionName} (F1 {version.F1Score:0.###}) now serves detections"
                + (updated.PreviousVersion is { } p ? $"; version {p} was stopped." : "."),
                "success"));
    }

    public sealed record Result(string VersionName, string? PreviousVersion, bool StoppedPrevious, NotificationRequest Notification);
}
