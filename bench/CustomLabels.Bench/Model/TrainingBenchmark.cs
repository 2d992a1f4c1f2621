using System.Globalization;

namespace CustomLabels.Bench.Model;

/// <summary>
/// Training time for 100 and 1,000 images against the backbone calls that training makes (time per call measured
/// alone in the same run), backbone calls per training image, and retraining after adding 10 images against the first
/// training. Images are logos-dev's clean shots, each pass cropped and re-encoded so that every one is new content.
/// </summary>
internal sealed class TrainingBenchmark : IBenchmark
{
    public string Name => "training";

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var figures = new List<Figure>();
        foreach (var count in context.Quick ? [100] : new[] { 100, 1000 })
        {
            await using var bench = BenchModel.Create(context, $"training-{count}");
            var backboneMean = bench.TimeBackbone(context.Quick ? 20 : 50).Average();

            await bench.UploadVariantsAsync(context, 0, count);
            var (_, firstTime) = await bench.TrainAsync("first", cancellationToken);
            var first = bench.Model.LastTrainingStatistics!;
            await bench.UploadVariantsAsync(context, count, 10);
            var (_, againTime) = await bench.TrainAsync("again", cancellationToken);
            var again = bench.Model.LastTrainingStatistics!;

            var ratio = firstTime.TotalSeconds / (first.BackboneCalls * backboneMean);
            var inside = firstTime.TotalSeconds / first.BackboneTime.TotalSeconds;
            var perImage = first.BackboneCalls / (double)first.TrainingImages;
            var retrain = againTime.TotalSeconds / firstTime.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {count} images: first {firstTime.TotalSeconds:0.0} s ({first}); again {againTime.TotalSeconds:0.0} s ({again}); backbone mean {backboneMean * 1000:0.0} ms"));
            figures.Add(new($"training {count} images / its backbone calls (calls x one call alone)", ratio, "x", "<= 1.2", ratio <= 1.2));
            figures.Add(new($"training {count} images / time inside its backbone calls", inside, "x", "<= 1.2", inside <= 1.2));
            figures.Add(new($"training {count} images: backbone calls per training image", perImage, "calls", "report", true));
            figures.Add(new($"retraining {count} + 10 images / first training", retrain, "x", "< 0.05", retrain < 0.05));
        }

        return figures;
    }
}
