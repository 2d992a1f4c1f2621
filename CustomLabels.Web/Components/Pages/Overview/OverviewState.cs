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
    IReadOnlyList<OverviewAlert> Alerts)
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
        return new OverviewState(
            running,
            running is null ? null : now - (system.RunningSince ?? running.TrainingEndTimestamp ?? now),
            set.UntrainedCount,
            set.NewRejectedCount,
            settings.MinimumUntrainedImages,
            await schedules.DescribeAsync(cancellationToken),
            loops.HumanLoops,
            (await detections.QueryAsync(new DetectionQuery(MaxResults: 8), cancellationToken)).Items,
            (await notifier.QueryAsync(new NotificationQuery(MaxResults: 8), cancellationToken)).Items,
            AlertsOf(versions, running, settings));
    }

    public static IReadOnlyList<OverviewAlert> AlertsOf(IReadOnlyList<ProjectVersion> versions, ProjectVersion? running, PipelineSettings settings)
    {
        var alerts = new List<OverviewAlert>();
        if (running is null)
        {
            alerts.Add(new OverviewAlert("error", versions.Count == 0
                ? "No running model: no version has been trained yet. Upload training images and train."
                : "No running model: detections fail until a version is started."));
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
