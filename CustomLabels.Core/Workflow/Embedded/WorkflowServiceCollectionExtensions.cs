using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Workflow.Embedded;

/// <summary>Registers the embedded workflow: the runner, its tables and its event sources.</summary>
internal static class WorkflowServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Amazon States Language runner (<see cref="IWorkflowService"/>), the schedules (<see cref="ISchedules"/>)
    /// and the event sources for parameter changes and new objects, all started with the host in that order.
    /// </summary>
    public static IServiceCollection AddEmbeddedWorkflow(this IServiceCollection services)
    {
        services.AddOptions<WorkflowOptions>()
            .BindConfiguration(WorkflowOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.BucketName) && o.BucketName.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'),
                $"{WorkflowOptions.SectionName}:{nameof(WorkflowOptions.BucketName)} must be a bucket name: lower-case letters, digits, '-' and '.'.")
            .ValidateOnStart();
        services.AddSingleton(ExecutionStore.Migration);
        services.AddSingleton(EmbeddedSchedules.Migration);
        services.AddSingleton<ExecutionStore>();

        services.AddSingleton<EmbeddedWorkflowService>();
        services.AddSingleton<IWorkflowService>(sp => sp.GetRequiredService<EmbeddedWorkflowService>());
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedWorkflowService>());

        services.AddSingleton<EmbeddedSchedules>();
        services.AddSingleton<ISchedules>(sp => sp.GetRequiredService<EmbeddedSchedules>());
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedSchedules>());

        services.AddHostedService<ParameterChangeSource>();
        services.AddSingleton<ObjectCreatedSource>();
        services.AddHostedService(sp => sp.GetRequiredService<ObjectCreatedSource>());
        return services;
    }
}
