using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>The input of the steps that act on one version.</summary>
internal sealed record VersionInput(string VersionName, string? ManifestKey = null, string? NegativesManifestKey = null);

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
/// Training branch: writes <c>manifests/&lt;version&gt;.manifest</c> from the training set as it is now and, when the model
/// learns from images answered "none of the above" and <c>images_rejected/</c> has some,
/// <c>manifests/&lt;version&gt;.negatives.manifest</c> of them (otherwise there is none).
/// </summary>
internal sealed class WriteManifestHandler(IObjectStore store, ICustomLabelsModel model, SystemStateStore state, TimeProvider time)
    : TaskHandler<VersionInput, WriteManifestHandler.Result>
{
    public override string Name => "WriteManifest";

    protected override async Task<Result> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var bucket = (await state.ReadAsync(cancellationToken)).Bucket ?? TrainingManifest.DefaultBucket;
        var entries = await TrainingManifest.WriteAsync(store, input.VersionName, bucket, time.GetUtcNow(), cancellationToken: cancellationToken);
        var (negativesKey, negatives) = await WriteNegativesAsync(input.VersionName, bucket, cancellationToken);
        return new Result(
            input.VersionName,
            TrainingManifest.KeyFor(input.VersionName),
            entries.Count,
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

    public sealed record Result(
        string VersionName,
        string ManifestKey,
        int ImageCount,
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
            new CreateProjectVersionRequest(input.VersionName, manifest, NegativesManifestKey: negatives), cancellationToken));
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
/// Training branch: the F1 gate. A version passes when its F1 on the test set, as its evaluation summary reports it,
/// is at least Minimum-F1-Score.
/// </summary>
internal sealed class EvaluateVersionHandler(ICustomLabelsModel model, IParameterStore parameters, IObjectStore store)
    : TaskHandler<VersionInput, EvaluateVersionHandler.Result>
{
    public override string Name => "EvaluateVersion";

    protected override async Task<Result> RunAsync(VersionInput input, TaskContext context, CancellationToken cancellationToken)
    {
        var version = await DescribeProjectVersionHandler.DescribeAsync(model, input.VersionName, cancellationToken);
        var minimum = (await parameters.GetSettingsAsync(cancellationToken)).MinimumF1Score;
        var f1 = version.EvaluationSummaryKey is { } summaryKey && await store.HeadAsync(summaryKey, cancellationToken) is not null
            ? (await EvaluationSummary.ReadAsync(store, summaryKey, cancellationToken)).AggregatedEvaluationResults.F1Score
            : version.F1Score;
        var passed = f1 is { } score && score >= minimum;
        var verdict = f1 is null
            ? $"Version {version.VersionName} has no F1 score ({version.Status}); it is not deployed."
            : passed
                ? $"Version {version.VersionName} scored F1 {f1:0.###} (minimum {minimum:0.###}); deploying it."
                : $"Version {version.VersionName} scored F1 {f1:0.###}, below {ParameterNames.MinimumF1Score} ({minimum:0.###}); it is not deployed and the running version goes on serving.";
        return new Result(
            version.VersionName,
            passed,
            f1,
            minimum,
            version.EvaluationSummaryKey,
            NotificationRequest.Operator(
                passed ? $"{version.VersionName} passed the F1 gate" : $"{version.VersionName} failed the F1 gate",
                verdict,
                passed ? "info" : "warning"));
    }

    public sealed record Result(string VersionName, bool Passed, double? F1Score, double MinimumF1Score, string? EvaluationSummaryKey, NotificationRequest Notification);
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
