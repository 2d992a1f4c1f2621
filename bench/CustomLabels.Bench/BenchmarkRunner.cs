using System.Text.Json;

namespace CustomLabels.Bench;

/// <summary>One figure: a ratio against a baseline taken in the same run, with its goal.</summary>
/// <param name="Name">What is measured.</param>
/// <param name="Value">The ratio (or plain figure where the goal is absolute).</param>
/// <param name="Unit">The unit, e.g. "x backbone" or "MB".</param>
/// <param name="Goal">The goal, e.g. "&lt;= 6".</param>
/// <param name="Met">Whether the goal is met.</param>
internal sealed record Figure(string Name, double Value, string Unit, string Goal, bool Met);

/// <summary>A group of figures that share a set-up.</summary>
internal interface IBenchmark
{
    string Name { get; }

    Task<IReadOnlyList<Figure>> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>What every benchmark may use: where the data sets are, a scratch folder.</summary>
internal sealed class BenchContext(string datasets, string scratch, bool quick)
{
    public string Datasets { get; } = datasets;

    public string Scratch { get; } = scratch;

    public bool Quick { get; } = quick;
}

/// <summary>Runs the benchmarks named on the command line (all by default) and prints each figure with its goal.</summary>
internal static class BenchmarkRunner
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        string? jsonPath = null;
        var quick = false;
        var only = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json" when i + 1 < args.Length:
                    jsonPath = args[++i];
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    only.Add(args[i]);
                    break;
            }
        }

        var datasets = FindDatasets();
        var scratch = Path.Combine(Path.GetTempPath(), "customlabels-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        var context = new BenchContext(datasets, scratch, quick);
        var figures = new List<Figure>();
        try
        {
            foreach (var benchmark in Benchmarks.All.Where(b => only.Count == 0 || only.Contains(b.Name, StringComparer.OrdinalIgnoreCase)))
            {
                Console.WriteLine($"## {benchmark.Name}");
                foreach (var figure in await benchmark.RunAsync(context, CancellationToken.None))
                {
                    figures.Add(figure);
                    Console.WriteLine($"{figure.Name,-72} {figure.Value,10:0.###} {figure.Unit,-16} goal {figure.Goal,-8} {(figure.Met ? "met" : "NOT MET")}");
                }
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(figures.Select(f => new { f.Name, f.Value, f.Unit, f.Goal }), Json));
        }

        return 0;
    }

    private static string FindDatasets()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "datasets");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "datasets");
    }
}

/// <summary>Every benchmark, in the order they run.</summary>
internal static class Benchmarks
{
    public static IReadOnlyList<IBenchmark> All { get; } =
    [
        new Model.DetectionBenchmark(),
        new Model.TrainingBenchmark(),
        new Model.LearningBenchmark(),
        new WorkflowBenchmark(),
        new Api.ApiDetectionBenchmark(),
        new AwsClientBenchmark(),
        new PipelineBenchmark(),
        new Dashboard.DashboardRenderBenchmark(),
    ];
}
