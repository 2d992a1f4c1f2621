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

    /// <summary>
    /// The share of the hash space whose images the training branch puts in a new version's test split (images of an
    /// earlier test split stay there). Default: 0.2, as the embedded model's own split.
    /// </summary>
    [Range(0.01, 0.9)]
    public double TestFraction { get; set; } = Models.TestSplit.DefaultTestFraction;

    /// <summary>
    /// How much lower than the running version's F1, on the same test images, a new version's F1 may be and still be
    /// deployed. Default: 0.02.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxF1Drop { get; set; } = 0.02;

    /// <summary>
    /// The most test images the running version is scored on to compare it with a new version (those lowest in the
    /// hash space). Default: 500.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxComparisonImages { get; set; } = 500;
}
