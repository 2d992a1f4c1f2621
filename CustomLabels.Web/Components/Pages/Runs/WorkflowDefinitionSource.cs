namespace CustomLabels.Web.Components.Pages.Runs;

/// <summary>
/// Reads the one workflow definition (<c>infra/statemachine.asl.json</c>, copied beside the application) once and
/// keeps its graph. The path follows <c>CustomLabels:Workflow:DefinitionPath</c> when set.
/// </summary>
internal sealed class WorkflowDefinitionSource(IConfiguration configuration)
{
    private readonly Lazy<Task<WorkflowGraph>> _graph = new(() => LoadAsync(configuration));

    public Task<WorkflowGraph> GetGraphAsync(CancellationToken cancellationToken) => _graph.Value.WaitAsync(cancellationToken);

    private static async Task<WorkflowGraph> LoadAsync(IConfiguration configuration)
    {
        var configured = configuration["CustomLabels:Workflow:DefinitionPath"];
        var path = Path.GetFullPath(configured ?? Path.Combine("infra", "statemachine.asl.json"), AppContext.BaseDirectory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The workflow definition was not found at {path}.", path);
        }

        return WorkflowGraph.Parse(await File.ReadAllTextAsync(path, CancellationToken.None));
    }
}
