using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Core.Workflow.Embedded;

/// <summary>The embedded workflow runner's settings, bound from <c>CustomLabels:Workflow</c> and checked at start.</summary>
public sealed class WorkflowOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = CustomLabelsOptions.SectionName + ":Workflow";

    /// <summary>
    /// The Amazon States Language definition the runner interprets. A relative path is taken from the application's
    /// folder. Default: <c>infra/statemachine.asl.json</c>, copied beside the application at build.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string DefinitionPath { get; set; } = Path.Combine("infra", "statemachine.asl.json");

    /// <summary>How many executions run their states at the same moment; waiting executions do not count. Default: 8.</summary>
    [Range(1, 256)]
    public int MaxConcurrentExecutions { get; set; } = 8;

    /// <summary>
    /// Multiplies every Wait state's duration, retry interval and execution time limit, so that tests and
    /// demonstrations shorten time by configuration (0.001 makes a minute last 60 ms). Default: 1.
    /// </summary>
    [Range(0.0, 1000.0)]
    public double TimeScale { get; set; } = 1.0;

    /// <summary>
    /// How many seconds one minute of a schedule's period lasts (Automatic-Training-Poll-Frequency and
    /// Automatic-Human-Sampling-Frequency are in minutes). Default: 60.
    /// </summary>
    [Range(0.001, 3600.0)]
    public double ScheduleMinuteSeconds { get; set; } = 60;

    /// <summary>
    /// The most history events one execution may have (Step Functions' limit): a loop that never takes its way out
    /// fails with States.Runtime when it gets there. Default: 25000.
    /// </summary>
    [Range(100, 25_000)]
    public int MaxHistoryEvents { get; set; } = 25_000;

    /// <summary>How often the bucket is scanned for new objects that no event reported, in seconds. Default: 60.</summary>
    [Range(0.05, 86_400.0)]
    public double ReconcileIntervalSeconds { get; set; } = 60;

    /// <summary>
    /// How long a file dropped into the bucket folder must stay unchanged before it counts as created, in
    /// milliseconds, so that a copy in progress is not taken for the object. Default: 1000.
    /// </summary>
    [Range(0, 600_000)]
    public int ObjectSettleMilliseconds { get; set; } = 1000;

    /// <summary>The bucket name that object events carry. Default: <c>customlabels</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string BucketName { get; set; } = "customlabels";

    /// <summary>The definition's full path.</summary>
    public string DefinitionFullPath => Path.GetFullPath(DefinitionPath, AppContext.BaseDirectory);
}
