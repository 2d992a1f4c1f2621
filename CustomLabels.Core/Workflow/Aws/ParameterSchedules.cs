using CustomLabels.Core.Parameters;

namespace CustomLabels.Core.Workflow.Aws;

/// <summary>
/// The two schedules in AWS. They are EventBridge rules of the stack, and the parameter branch of the state
/// machine re-arms them in the cloud whenever a parameter changes; so re-arming from here is a no-op, and the
/// schedules are described from the parameters that drive them. EventBridge does not tell a rate rule's next or
/// last firing, so both are left unknown.
/// </summary>
public sealed class ParameterSchedules(IParameterStore parameters) : ISchedules
{
    /// <summary>Nothing to do: the parameter-changed branch re-arms the EventBridge rules.</summary>
    public Task RearmAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduleState>> DescribeAsync(CancellationToken cancellationToken = default)
    {
        var settings = await parameters.GetSettingsAsync(cancellationToken);
        return
        [
            new ScheduleState(
                WorkflowEvents.Branches.Training,
                settings.EnableAutomaticTraining,
                TimeSpan.FromMinutes(settings.AutomaticTrainingPollFrequencyMinutes),
                NextRun: null,
                LastRun: null),
            new ScheduleState(
                WorkflowEvents.Branches.Sampling,
                settings.EnableAutomaticHumanSampling,
                TimeSpan.FromMinutes(settings.AutomaticHumanSamplingFrequencyMinutes),
                NextRun: null,
                LastRun: null),
        ];
    }
}
