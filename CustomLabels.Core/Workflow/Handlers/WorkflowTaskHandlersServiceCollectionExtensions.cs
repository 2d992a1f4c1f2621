using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Workflow.Handlers;

/// <summary>Registers every task handler of <c>infra/statemachine.asl.json</c>, and the system state they share.</summary>
internal static class WorkflowTaskHandlersServiceCollectionExtensions
{
    public static IServiceCollection AddWorkflowTaskHandlers(this IServiceCollection services)
    {
        services.AddOptions<WorkflowStepOptions>().BindConfiguration(WorkflowStepOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SystemStateStore>();
        services.AddSingleton<ServingVersion>();
        services.AddSingleton<ITaskHandler, ApplyParameterChangeHandler>();
        services.AddSingleton<ITaskHandler, CheckTrainingHandler>();
        services.AddSingleton<ITaskHandler, WriteManifestHandler>();
        services.AddSingleton<ITaskHandler, CreateProjectVersionHandler>();
        services.AddSingleton<ITaskHandler, DescribeProjectVersionHandler>();
        services.AddSingleton<ITaskHandler, EvaluateVersionHandler>();
        services.AddSingleton<ITaskHandler, StartProjectVersionHandler>();
        services.AddSingleton<ITaskHandler, DeployVersionHandler>();
        services.AddSingleton<ITaskHandler, DetectCustomLabelsHandler>();
        services.AddSingleton<ITaskHandler, LogDetectionHandler>();
        services.AddSingleton<ITaskHandler, CreateHumanLoopHandler>();
        services.AddSingleton<ITaskHandler, NotifyDetectionHandler>();
        services.AddSingleton<ITaskHandler, ReadHumanLoopAnswerHandler>();
        services.AddSingleton<ITaskHandler, CopyToTrainingSetHandler>();
        services.AddSingleton<ITaskHandler, LogReviewHandler>();
        services.AddSingleton<ITaskHandler, SelectSamplesHandler>();
        services.AddSingleton<ITaskHandler, CreateSamplingLoopsHandler>();
        services.AddSingleton<ITaskHandler, NotifyHandler>();
        services.AddSingleton<ITaskHandler, NotifyFailureHandler>();
        return services;
    }
}
