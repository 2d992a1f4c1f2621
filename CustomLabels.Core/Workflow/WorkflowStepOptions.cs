using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Core.Workflow;

/// <summary>How the workflow's task handlers behave, bound from <c>CustomLabels:Workflow:Steps</c>.</summary>
public sealed class WorkflowStepOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:Workflow:Steps";

    /// <summary>Seconds the definition waits between two looks at a training version. Default: 10.</summary>
    [Range(1, 86_400)]
    public int TrainingPollSeconds { get; set; } = 10;

    /// <summary>Seconds the definition waits between two looks at a starting version. Default: 2.</summary>
    [Range(1, 86_400)]
    public int StartPollSeconds { get; set; } = 2;

    /// <summary>The most sampling loops one sampling run creates. Default: 100.</summary>
    [Range(1, 10_000)]
    public int MaxSamplesPerRun { get; set; } = 100;
}
