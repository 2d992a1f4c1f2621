using CustomLabels.Core.Parameters;
using CustomLabels.Core.Parameters.Embedded;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Core.Workflow.Embedded;

/// <summary>
/// Turns each stored parameter change into an execution (<see cref="WorkflowEvents.ParameterChanged"/>), re-arming
/// the schedules first when the change concerns them. It reads the store's outbox, so a change made just before the
/// process stopped is acted on at the next start, and each change starts one execution however often it is read.
/// </summary>
internal sealed partial class ParameterChangeSource(
    ParameterChangeOutbox outbox,
    IWorkflowService workflow,
    ISchedules schedules,
    TimeProvider time,
    ILogger<ParameterChangeSource> logger) : BackgroundService
{
    private static readonly HashSet<string> ScheduleParameters = new(StringComparer.Ordinal)
    {
        ParameterNames.EnableAutomaticTraining, ParameterNames.AutomaticTrainingPollFrequency,
        ParameterNames.EnableAutomaticHumanSampling, ParameterNames.AutomaticHumanSamplingFrequency,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var change in await outbox.ReadAsync(stoppingToken))
                {
                    if (ScheduleParameters.Contains(change.Name))
                    {
                        await schedules.RearmAsync(stoppingToken);
                    }

                    var input = WorkflowEvents.ParameterChanged(change.Name).ToJsonString();
                    await workflow.StartExecutionAsync(input, ExecutionNames.ForParameterChange(change.Name, change.Version), stoppingToken);
                    await outbox.RemoveAsync(change.Id, stoppingToken);
                }

                await outbox.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The change stays in the outbox and is retried; the source must keep running.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start the execution for a parameter change; it is retried")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
