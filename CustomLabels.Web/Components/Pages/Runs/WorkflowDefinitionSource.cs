using CustomLabels.Core.Workflow.Embedded;
using Microsoft.Extensions.Options;

namespace CustomLabels.Web.Components.Pages.Runs;

/// <summary>
/// Reads the one workflow definition (<c>infra/statemachine.asl.json</c>, copied beside the application; the path the
/// runner reads, <c>CustomLabels:Workflow:DefinitionPath</c>) once and keeps its graph.
/// </summary>
internal sealed class WorkflowDefinitionSource(IOptions<WorkflowOptions> options)
{
    private readonly Lazy<Task<WorkflowGraph>> _graph = new(() => LoadAsync(options.Value.DefinitionFullPath));

    public Task<WorkflowGraph> GetGraphAsync(CancellationToken cancellationToken) => _graph.Value.WaitAsync(cancellationToken);

    private static async Task<WorkflowGraph> LoadAsync(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The workflow definition was not found at {path}.", path);
        }

        return WorkflowGraph.Parse(await File.ReadAllTextAsync(path, CancellationToken.None));
    }
}
