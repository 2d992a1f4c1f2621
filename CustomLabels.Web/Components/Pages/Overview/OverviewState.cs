using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Components.Pages.TrainingImages;

namespace CustomLabels.Web.Components.Pages.Overview;

/// <summary>One alert on the overview.</summary>
public sealed record OverviewAlert(string Severity, string Text);

/// <summary>One step of the first run, ticked once the pipeline has been through it.</summary>
/// <param name="Title">What to do.</param>
/// <param name="Hint">How, in a few words.</param>
/// <param name="Href">The page where it is done.</param>
/// <param name="Done">Whether the pipeline has been through it.</param>
public sealed record FirstRunStep(string Title, string Hint, string Href, bool Done);

/// <summary>
/// The first run's four steps (training images, a trained version, a detection, an answered review), read from what
/// the pipeline holds, so each one ticks itself as the pipeline moves. It is shown until every step is done.
/// </summary>
public sealed record FirstRunChecklist(IReadOnlyList<FirstRunStep> Steps, bool ModelTrained)
{
    /// <summary>Whether every step is done, so the overview no longer shows the list.</summary>
    public bool Complete => Steps.All(s => s.Done);

    public static FirstRunChecklist Of(int labels, IReadOnlyList<ProjectVersion> versions, bool detected, bool reviewed) => new(
    [
        new("Add training images", "Two labels or more: drop label folders or a zip, or add the sample images.", "training-images", labels >= 2),
        new("Train a model", versions.Any(v => v.Status == ProjectVersionStatus.TrainingInProgress) && !versions.Any(Trained)
            ? "Training now: the list ticks this step when it ends."
            : "Train now on the Model versions page, or wait for the scheduled check.", "model-versions", versions.Any(Trained)),
        new("Try a detection", "Send an image on the Detect page.", "detect", detected),
        new("Answer a review", "Doubtful detections wait in the review queue: answer one, and it joins the training set.", "review", reviewed),
    ], versions.Any(Trained));

    private static bool Trained(ProjectVersion version) => version.Status is not (ProjectVersionStatus.TrainingInProgress or ProjectVersionStatus.TrainingFailed);
}

/// <summary>
/// Everything the overview shows, read from Core at one moment, with the alerts it implies. The untrained images are
/// those the training check counts: new labelled images, and new images answered "none of the above" when the model
/// learns from them (<see cref="UntrainedRejectedImages"/> of them).
/// </summary>
public sealed record OverviewState(
    ProjectVersion? Running,
    TimeSpan? ServingFor,
    int UntrainedImages,
    int UntrainedRejectedImages,
    int MinimumUntrainedImages,
    IReadOnlyList<ScheduleState> Schedules,
    IReadOnlyList<HumanLoop> OpenLoops,
    IReadOnlyList<DetectionRecord> RecentDetections,
    IReadOnlyList<Notification> RecentNotifications,
    IReadOnlyList<OverviewAlert> Alerts,
    FirstRunChecklist FirstRun)
{
    public static async Task<OverviewState> LoadAsync(
        ICustomLabelsModel model,
        IParameterStore parameters,
        IObjectStore store,
        RejectedImages rejected,
        ISchedules schedules,
        IHumanReview review,
        IDetectionLog detections,
        INotifier notifier,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var versions = await model.DescribeProjectVersionsAsync(cancellationToken: cancellationToken);
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        var system = SystemState.Parse(settings.ForSystemUseOnly);
        var set = await TrainingSet.LoadAsync(store, parameters, rejected, cancellationToken);
        var running = versions.FirstOrDefault(v => v.VersionName == system.RunningVersion && v.Status == ProjectVersionStatus.Running)
            ?? versions.Where(v => v.Status == ProjectVersionStatus.Running).MaxBy(v => v.CreationTimestamp);
        var loops = await review.ListHumanLoopsAsync(new HumanLoopQuery(HumanLoopStatus.InProgress, MaxResults: 10), cancellationToken);
        var answered = await review.ListHumanLoopsAsync(new HumanLoopQuery(HumanLoopStatus.Completed, MaxResults: 1), cancellationToken);
        var recentDetections = (await detections.QueryAsync(new DetectionQuery(MaxResults: 8), cancellationToken)).Items;
        return new OverviewState(
            running,
            running is null ? null : now - (system.RunningSince ?? running.TrainingEndTimestamp ?? now),
            set.UntrainedCount,
            set.NewRejectedCount,
            settings.MinimumUntrainedImages,
            await schedules.DescribeAsync(cancellationToken),
            loops.HumanLoops,
            recentDetections,
            (await notifier.QueryAsync(new NotificationQuery(MaxResults: 8), cancellationToken)).Items,
            AlertsOf(versions, running, settings),
            FirstRunChecklist.Of(set.Labels.Count(l => l.Count > 0), versions, recentDetections.Count > 0, answered.HumanLoops.Count > 0));
    }

    public static IReadOnlyList<OverviewAlert> AlertsOf(IReadOnlyList<ProjectVersion> versions, ProjectVersion? running, PipelineSettings settings)
    {
        var alerts = new List<OverviewAlert>();
        // Before the first version is trained, the first-run checklist says what to do; an error would only alarm.
        if (running is null && versions.Any(v => v.Status != ProjectVersionStatus.TrainingInProgress))
        {
            alerts.Add(new OverviewAlert("error", "No running model: detections fail until a version is started."));
        }

        var latest = versions.MaxBy(v => v.CreationTimestamp);
        if (latest?.Status == ProjectVersionStatus.TrainingFailed)
        {
            alerts.Add(new OverviewAlert("error", $"The last training ({latest.VersionName}) failed: {latest.StatusMessage}"));
        }
        else if (latest is { Status: ProjectVersionStatus.TrainingCompleted or ProjectVersionStatus.Stopped, F1Score: { } f1 } && f1 < settings.MinimumF1Score)
        {
            alerts.Add(new OverviewAlert("warning",
                $"The last training ({latest.VersionName}) failed the F1 gate: {f1:0.000} is below Minimum-F1-Score {settings.MinimumF1Score:0.###}, so it was not deployed."));
        }

        if (!settings.EnableAutomaticTraining)
        {
            alerts.Add(new OverviewAlert("info", "Automatic training is off."));
        }

        return alerts;
    }
}
