using CustomLabels.Core;

var builder = WebApplication.CreateBuilder(args);
builder.AddCustomLabelsCore();
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthChecks("/health");
app.Run();

/// <summary>The web host's entry point, visible to tests and benchmarks that start it.</summary>
public partial class Program;
