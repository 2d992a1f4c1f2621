using CustomLabels.Core.Accounts.Embedded;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Data;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Detections.Embedded;
using CustomLabels.Core.Models.Embedded;
using CustomLabels.Core.Notifications.Embedded;
using CustomLabels.Core.Parameters.Embedded;
using CustomLabels.Core.Review;
using CustomLabels.Core.Review.Embedded;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using CustomLabels.Core.Workflow.Embedded;
using CustomLabels.Core.Workflow.Handlers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CustomLabels.Core;

/// <summary>Registers the product's Core services.</summary>
public static class DependencyInjection
{
    /// <summary>
    /// Adds Core: options (validated at start), the pipeline event hub, and the adapters of the backend named by
    /// <c>CustomLabels:Backend</c>, chosen once here.
    /// </summary>
    public static IHostApplicationBuilder AddCustomLabelsCore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<CustomLabelsOptions>()
            .BindConfiguration(CustomLabelsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PipelineEvents>();

        var backend = builder.Configuration.GetValue($"{CustomLabelsOptions.SectionName}:{nameof(CustomLabelsOptions.Backend)}", Backend.Embedded);
        if (backend == Backend.Aws)
        {
            AddAwsAdapters(builder);
        }
        else
        {
            AddEmbeddedAdapters(builder);
        }

        // Use cases over the ports, the same for both backends.
        builder.Services.AddSingleton<RejectedImages>();
        builder.Services.AddOptions<DetectionOptions>()
            .BindConfiguration(DetectionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IDetectionSubmitter, DetectionSubmitter>();
        return builder;
    }

    private static void AddEmbeddedAdapters(IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SqliteDatabase>();
        builder.Services.AddSingleton<FileObjectStore>();
        builder.Services.AddSingleton<IObjectStore>(sp => sp.GetRequiredService<FileObjectStore>());
        builder.Services.AddEmbeddedModel();
        builder.Services.AddEmbeddedParameters();
        builder.Services.AddEmbeddedWorkflow();
        builder.Services.AddEmbeddedAccounts();
        builder.Services.AddEmbeddedDetections();
        builder.Services.AddEmbeddedReview();
        builder.Services.AddEmbeddedNotifications();
        builder.Services.AddWorkflowTaskHandlers();
    }

    private static void AddAwsAdapters(IHostApplicationBuilder builder)
    {
        builder.Services.AddAwsAdapters();
        builder.Services.AddWorkflowTaskHandlers();

        // The dashboard's own users and API keys are not part of the pipeline: they stay in the local database.
        builder.Services.AddSingleton<SqliteDatabase>();
        builder.Services.AddEmbeddedAccounts();
    }
}
