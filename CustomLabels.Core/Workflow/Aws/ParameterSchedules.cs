using System.Globalization;
using System.Text.Json.Nodes;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Parameters;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Workflow.Aws;

/// <summary>
/// The two schedules in AWS: EventBridge rules of the stack that start the state machine. Their state is described
/// from the parameters that drive them (EventBridge does not tell a rate rule's next or last firing, so both are
/// left unknown). Re-arming writes the rules (PutRule: rate and enabled state) where their names are configured:
/// in the Lambda functions, where the parameter branch runs. Where they are not, as in the dashboard, re-arming is
/// a no-op, because every parameter change starts the parameter branch in the cloud, which re-arms them.
/// </summary>
public sealed class ParameterSchedules(IParameterStore parameters, AwsJsonClient events, IOptions<AwsOptions> options) : ISchedules
{
    /// <inheritdoc />
    public async Task RearmAsync(CancellationToken cancellationToken = default)
    {
        var rules = options.Value;
        if (string.IsNullOrEmpty(rules.TrainingScheduleRuleName) && string.IsNullOrEmpty(rules.SamplingScheduleRuleName))
        {
            return;
        }

        foreach (var schedule in await DescribeAsync(cancellationToken))
        {
            var rule = schedule.Name == WorkflowEvents.Branches.Training ? rules.TrainingScheduleRuleName : rules.SamplingScheduleRuleName;
            if (string.IsNullOrEmpty(rule))
            {
                continue;
            }

            await events.CallAsync(
                "PutRule",
                new JsonObject
                {
                    ["Name"] = rule,
                    ["ScheduleExpression"] = RateOf(schedule.Period),
                    ["State"] = schedule.Enabled ? "ENABLED" : "DISABLED",
                    ["Description"] = $"CustomLabels: the {schedule.Name} check, following its parameters.",
                },
                cancellationToken);
        }
    }

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

    /// <summary>EventBridge's rate expression for a period in whole minutes: <c>rate(1 minute)</c>, <c>rate(720 minutes)</c>.</summary>
    public static string RateOf(TimeSpan period)
    {
        var minutes = Math.Max(1, (long)period.TotalMinutes);
        return minutes == 1 ? "rate(1 minute)" : string.Create(CultureInfo.InvariantCulture, $"rate({minutes} minutes)");
    }
}
