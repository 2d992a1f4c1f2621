using CustomLabels.Core.Models;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// Which version serves detection: the one the deploy step pointed detection at, while it is RUNNING. A version is
/// RUNNING a moment before that step makes it serve; during the first deployment, a detection waits for it.
/// </summary>
public sealed partial class ServingVersion(
    ICustomLabelsModel model,
    SystemStateStore state,
    PipelineEvents events,
    TimeProvider time,
    ILogger<ServingVersion> logger)
{
    /// <summary>How often the wait looks again when no event says that a version changed (AWS: the deploy runs elsewhere).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The version that serves detection, or null when none does.</summary>
    /// <param name="system">The system state, which names the deployed version.</param>
    /// <param name="versions">The versions, with their status.</param>
    public static string? Of(SystemState system, IEnumerable<ProjectVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.RunningVersion is { } deployed
            && versions.Any(v => v.VersionName == deployed && v.Status == ProjectVersionStatus.Running)
            ? deployed
            : null;
    }

    /// <summary>
    /// The version that serves detection. When none does yet but one is starting or running (its deployment is on the
    /// way), waits for the deployment, at most <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="ModelNotRunningException">No version serves, none is on the way, or it was not deployed in time.</exception>
    public async Task<string> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        TaskCompletionSource? changed = null;
        using var subscription = events.Subscribe(e =>
        {
            if (e.Kind == PipelineEventKind.ProjectVersion)
            {
                Volatile.Read(ref changed)?.TrySetResult();
            }
        });
        var started = time.GetTimestamp();
        string? waitingFor = null;
        while (true)
        {
            // A fresh signal before each look, so that a deployment after the look ends the wait at once.
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref changed, next);
            var signal = next.Task;
            var versions = await model.DescribeProjectVersionsAsync(null, cancellationToken);
            if (Of(await state.ReadAsync(cancellationToken), versions) is { } serving)
            {
                return serving;
            }

            var coming = versions.FirstOrDefault(v => v.Status is ProjectVersionStatus.Running or ProjectVersionStatus.Starting);
            if (coming is null)
            {
                throw new ModelNotRunningException("No model version is running yet: train and deploy one before detecting.");
            }

            var left = timeout - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new ModelNotRunningException(
                    $"Version {coming.VersionName} is {coming.Status} but was not deployed to serve detection within {timeout}; try again shortly.");
            }

            if (waitingFor != coming.VersionName)
            {
                waitingFor = coming.VersionName;
                LogWaitingForDeployment(logger, coming.VersionName, coming.Status);
            }

            await Task.WhenAny(signal, Task.Delay(Min(PollInterval, left), time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "A detection waits for version {Version} ({Status}) to be deployed")]
    private static partial void LogWaitingForDeployment(ILogger logger, string version, ProjectVersionStatus status);
}
