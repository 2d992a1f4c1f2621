using System.Globalization;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>
/// Training branch, first step: decides whether to train. Training goes ahead when automatic training is on, there
/// are at least Minimum-Untrained-Images images the running version has not seen (labelled images, and images answered
/// "none of the above" when the model learns from them; both conditions skipped when forced), the
/// set has at least two labels, no version is training or starting, and no training run that started earlier is
/// still running (two checks a moment apart would otherwise both pass before either version exists). It also names
/// the new version.
/// </summary>
internal sealed class CheckTrainingHandler(
    IParameterStore parameters,
    IObjectStore store,
    ICustomLabelsModel model,
    RejectedImages rejected,
    IWorkflowService workflow,
    IOptions<WorkflowStepOptions> options,
    TimeProvider time) : TaskHandler<WorkflowEvent, CheckTrainingHandler.Result>
{
    public override string Name => "CheckTraining";

    protected override async Task<Result> RunAsync(WorkflowEvent input, TaskContext context, CancellationToken cancellationToken)
    {
        var force = input.Detail?.Force ?? false;
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        var set = await TrainingSetSummary.DescribeAsync(store, parameters, rejected, cancellationToken);
        var (untrained, labels) = (set.Untrained, set.Labels.Count);
        var versions = await model.DescribeProjectVersionsAsync(null, cancellationToken);
        var busy = versions.FirstOrDefault(v => v.Status is ProjectVersionStatus.TrainingInProgress or ProjectVersionStatus.Starting);
        var earlier = await EarlierTrainingRunAsync(context.ExecutionId, cancellationToken);

        string? refusal =
            !force && !settings.EnableAutomaticTraining ? $"automatic training is off ({ParameterNames.EnableAutomaticTraining} is false)"
            : earlier is not null ? $"training run {earlier.Name} started earlier and is still running"
            : busy is not null ? $"version {busy.VersionName} is {(busy.Status == ProjectVersionStatus.Starting ? "starting" : "training")}"
            : labels < 2 ? $"the training set has {labels} label(s) with images; training needs at least 2"
            : !force && untrained < settings.MinimumUntrainedImages
                ? $"{untrained} untrained image(s){OfThemRejected(set)}, fewer than {ParameterNames.MinimumUntrainedImages} ({settings.MinimumUntrainedImages})"
            : null;

        var o = options.Value;
        var versionName = refusal is null ? NewVersionName(versions) : null;
        var reason = refusal is null
            ? $"Training {versionName} on {set.Total} images in {labels} labels{AndRejected(set)} ({untrained} untrained{OfThemRejected(set)}{(force ? ", forced" : string.Empty)})."
            : $"No training: {refusal}.";
        return new Result(
            Train: refusal is null,
            reason,
            force,
            versionName,
            set.Total,
            labels,
            untrained,
            set.UntrainedRejected,
            settings.MinimumUntrainedImages,
            o.TrainingPollSeconds,
            o.StartPollSeconds,
            Notify: refusal is null || force,
            NotificationRequest.Operator(
                refusal is null ? $"Training {versionName}" : "Training was not started",
                reason,
                refusal is null ? "info" : "warning"));
    }

    private static string OfThemRejected(TrainingSetSummary set) =>
        set.UntrainedRejected > 0 ? $", {set.UntrainedRejected} of them answered none of the above" : string.Empty;

    private static string AndRejected(TrainingSetSummary set) =>
        set.LearnsFromRejectedImages && set.Rejected > 0 ? $" and {set.Rejected} answered none of the above" : string.Empty;

    /// <summary>A training run that started before this one and is still running: the earliest run goes ahead alone.</summary>
    private async Task<ExecutionSummary?> EarlierTrainingRunAsync(string executionId, CancellationToken cancellationToken)
    {
        var running = (await workflow.ListExecutionsAsync(
            new ExecutionQuery(ExecutionStatus.Running, WorkflowEvents.Branches.Training, MaxResults: 100), cancellationToken)).Executions;
        var self = running.FirstOrDefault(e => e.ExecutionId == executionId);
        return running
            .Where(e => e.ExecutionId != executionId)
            .Where(e => self is null
                ? e.StartDate <= time.GetUtcNow()
                : e.StartDate < self.StartDate || (e.StartDate == self.StartDate && string.CompareOrdinal(e.ExecutionId, self.ExecutionId) < 0))
            .OrderBy(e => e.StartDate)
            .FirstOrDefault();
    }

    private string NewVersionName(IReadOnlyList<ProjectVersion> versions)
    {
        var taken = versions.Select(v => v.VersionName).ToHashSet(StringComparer.Ordinal);
        var baseName = string.Create(CultureInfo.InvariantCulture, $"v{time.GetUtcNow().UtcDateTime:yyyyMMdd-HHmmss}");
        var name = baseName;
        for (var n = 2; taken.Contains(name); n++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{baseName}-{n}");
        }

        return name;
    }

    public sealed record Result(
        bool Train,
        string Reason,
        bool Force,
        string? VersionName,
        int TrainingImages,
        int Labels,
        int UntrainedImages,
        int UntrainedRejectedImages,
        int MinimumUntrainedImages,
        int TrainingPollSeconds,
        int StartPollSeconds,
        bool Notify,
        NotificationRequest Notification);
}
