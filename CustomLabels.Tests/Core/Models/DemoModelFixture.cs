using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Embedded;

namespace CustomLabels.Tests.Core.Models;

/// <summary>
/// A small, fast model for behaviour tests: the two demo brands (5 clean shots each), few composites per image, and
/// the test set split off automatically. Running with one inference unit.
/// </summary>
public sealed class DemoModelFixture : IAsyncLifetime
{
    public const string Version = "demo-1";

    public static ModelOptions FastOptions() => new() { TrainingVariants = 2, ValidationVariants = 1, BackgroundCanvases = 4 };

    public ModelTestEnvironment Environment { get; } = new(FastOptions());

    public ProjectVersion Trained { get; private set; } = null!;

    public List<double> ProgressSeen { get; } = [];

    public async Task InitializeAsync()
    {
        await Environment.UploadLabelFoldersAsync(TestImages.DemoTrain);
        using var subscription = Environment.Events.Subscribe(e =>
        {
            if (e.Kind == PipelineEventKind.ProjectVersion && e.Id == Version)
            {
                var progress = Environment.Model.DescribeProjectVersionsAsync([Version]).Result[0].TrainingProgress;
                lock (ProgressSeen)
                {
                    if (progress is { } p)
                    {
                        ProgressSeen.Add(p);
                    }
                }
            }
        });
        Trained = await Environment.TrainAsync(Version);
        await Environment.StartAsync(Version, units: 1);
    }

    public async Task DisposeAsync() => await Environment.DisposeAsync();
}
