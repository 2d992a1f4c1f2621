using CustomLabels.Bench;

return await BenchmarkRunner.RunAsync(args);
