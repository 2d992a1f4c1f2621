using CustomLabels.Core.Parameters;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>
/// Parameter branch: applies a changed parameter. The schedules re-read their parameters and re-arm at once; the
/// operator is told, except for For-System-Use-Only, which the pipeline writes itself.
/// </summary>
/// <remarks>
/// The schedules are resolved when the step runs, not when the handler is built: embedded, the schedules start
/// executions, so they depend on the runner, which depends on every handler.
/// </remarks>
internal sealed class ApplyParameterChangeHandler(IParameterStore parameters, IServiceProvider services)
    : TaskHandler<WorkflowEvent, ApplyParameterChangeHandler.Result>
{
    public override string Name => "ApplyParameterChange";

    protected override async Task<Result> RunAsync(WorkflowEvent input, TaskContext context, CancellationToken cancellationToken)
    {
        var name = input.Detail?.Name is { Length: > 0 } given
            ? given.Split('/')[^1] // Parameter Store reports the full path, /<stack>/<name>
            : throw new WorkflowTaskException(WorkflowErrors.InvalidInput, "The event names no parameter (detail.name).");
        if (!ParameterCatalog.Contains(name))
        {
            throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"There is no parameter named '{name}'.");
        }

        var schedules = services.GetRequiredService<ISchedules>();
        await schedules.RearmAsync(cancellationToken);
        var value = await parameters.GetAsync(name, cancellationToken);
        var schedulesNow = await schedules.DescribeAsync(cancellationToken);
        var system = name == ParameterNames.ForSystemUseOnly;
        var summary = string.Join("; ", schedulesNow.Select(s =>
            s.Enabled ? $"{s.Name} every {s.Period.TotalMinutes:0.##} min, next {s.NextRun:u}" : $"{s.Name} off"));
        return new Result(
            name,
            system ? null : value.Value,
            value.Version,
            Notify: !system,
            NotificationRequest.Operator(
                $"{name} is now {value.Value}",
                $"Parameter {name} changed to '{value.Value}' (version {value.Version}). Schedules: {summary}."));
    }

    public sealed record Result(string Parameter, string? Value, long Version, bool Notify, NotificationRequest Notification);
}
