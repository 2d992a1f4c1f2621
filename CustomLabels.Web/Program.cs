using CustomLabels.Core;
using CustomLabels.Web.Components;

var builder = WebApplication.CreateBuilder(args);
builder.AddCustomLabelsCore();
builder.AddDashboard();
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthChecks("/health");
app.MapDashboard();
app.Run();

/// <summary>The web host's entry point, visible to tests and benchmarks that start it.</summary>
public partial class Program;
