namespace CustomLabels.Tests.E2E.Pipeline;

/// <summary>The end-to-end tests that train real models run one after the other, not beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingPipelines
{
    public const string Name = "Training pipelines";
}
