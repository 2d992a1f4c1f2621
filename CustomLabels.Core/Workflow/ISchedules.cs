namespace CustomLabels.Core.Workflow;

/// <summary>
/// The two schedules (training check, sampling check), following their parameters. Embedded: persisted timers in
/// the runner's process; AWS: EventBridge rules.
/// </summary>
public interface ISchedules
{
    /// <summary>Re-reads the parameters and re-arms both schedules now.</summary>
    Task RearmAsync(CancellationToken cancellationToken = default);

    /// <summary>Each schedule's state: enabled, period and next run.</summary>
    Task<IReadOnlyList<ScheduleState>> DescribeAsync(CancellationToken cancellationToken = default);
}

/// <summary>One schedule's state.</summary>
/// <param name="Name">training or sampling.</param>
/// <param name="Enabled">Whether it fires.</param>
/// <param name="Period">How often.</param>
/// <param name="NextRun">When it fires next, if enabled.</param>
/// <param name="LastRun">When it last fired.</param>
public sealed record ScheduleState(string Name, bool Enabled, TimeSpan Period, DateTimeOffset? NextRun, DateTimeOffset? LastRun);
