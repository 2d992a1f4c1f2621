using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;

namespace CustomLabels.Web.Components.Pages.Runs;

/// <summary>One state drawn as a box.</summary>
public sealed record GraphNode(string Name, string Type, int Layer, int Column, double X, double Y);

/// <summary>One transition: Next, a Choice rule, a Default or a Catch.</summary>
public sealed record GraphEdge(string From, string To, string Kind);

/// <summary>
/// The workflow's states and transitions from its Amazon States Language definition, laid out in layers by their
/// distance from <c>StartAt</c>, and the path an execution took through them.
/// </summary>
public sealed class WorkflowGraph
{
    public const double NodeWidth = 168;
    public const double NodeHeight = 34;
    public const double ColumnGap = 16;
    public const double LayerGap = 30;

    private WorkflowGraph(IReadOnlyList<GraphNode> nodes, IReadOnlyList<GraphEdge> edges)
    {
        Nodes = nodes;
        Edges = edges;
        ByName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        Width = nodes.Count == 0 ? 0 : nodes.Max(n => n.X) + NodeWidth + ColumnGap;
        Height = nodes.Count == 0 ? 0 : nodes.Max(n => n.Y) + NodeHeight + LayerGap;
    }

    public IReadOnlyList<GraphNode> Nodes { get; }

    public IReadOnlyList<GraphEdge> Edges { get; }

    public IReadOnlyDictionary<string, GraphNode> ByName { get; }

    public double Width { get; }

    public double Height { get; }

    /// <summary>Reads a definition; states inside Parallel or Map branches are drawn as their parent state.</summary>
    /// <exception cref="FormatException">The text is not a States Language definition.</exception>
    public static WorkflowGraph Parse(string definitionJson)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(definitionJson) as JsonObject ?? throw new FormatException("The workflow definition is not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new FormatException($"The workflow definition is not valid JSON: {e.Message}", e);
        }

        if (root["States"] is not JsonObject states || root["StartAt"]?.GetValue<string>() is not { } startAt || !states.ContainsKey(startAt))
        {
            throw new FormatException("The workflow definition has no States or no StartAt state.");
        }

        var edges = new List<GraphEdge>();
        foreach (var (name, node) in states)
        {
            if (node is not JsonObject state)
            {
                continue;
            }

            AddEdge(edges, states, name, state["Next"], "next");
            AddEdge(edges, states, name, state["Default"], "default");
            foreach (var choice in state["Choices"] as JsonArray ?? [])
            {
                AddEdge(edges, states, name, choice?["Next"], "choice");
            }

            foreach (var catcher in state["Catch"] as JsonArray ?? [])
            {
                AddEdge(edges, states, name, catcher?["Next"], "catch");
            }
        }

        // Layers by breadth-first distance from StartAt; unreachable states go below the rest.
        var layer = new Dictionary<string, int>(StringComparer.Ordinal) { [startAt] = 0 };
        var queue = new Queue<string>([startAt]);
        var successors = edges.ToLookup(e => e.From, e => e.To, StringComparer.Ordinal);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var next in successors[current])
            {
                if (layer.TryAdd(next, layer[current] + 1))
                {
                    queue.Enqueue(next);
                }
            }
        }

        var deepest = layer.Count == 0 ? 0 : layer.Values.Max();
        foreach (var (name, _) in states)
        {
            layer.TryAdd(name, deepest + 1);
        }

        var nodes = new List<GraphNode>();
        foreach (var group in states.Select(s => s.Key).GroupBy(n => layer[n]).OrderBy(g => g.Key))
        {
            var column = 0;
            foreach (var name in group)
            {
                var type = states[name]?["Type"]?.GetValue<string>() ?? "Task";
                nodes.Add(new GraphNode(
                    name, type, group.Key, column,
                    ColumnGap + column * (NodeWidth + ColumnGap),
                    LayerGap / 2 + group.Key * (NodeHeight + LayerGap)));
                column++;
            }
        }

        return new WorkflowGraph(nodes, edges);
    }

    /// <summary>The states an execution entered, in order, from its history.</summary>
    public static IReadOnlyList<string> PathOf(IEnumerable<HistoryEvent> history) =>
        [.. history.Where(e => e.StateName is not null && e.Type.EndsWith("StateEntered", StringComparison.Ordinal)).Select(e => e.StateName!)];

    /// <summary>The transitions an execution took: each pair of states entered one after the other.</summary>
    public static IReadOnlySet<(string From, string To)> StepsOf(IReadOnlyList<string> path)
    {
        var steps = new HashSet<(string, string)>();
        for (var i = 1; i < path.Count; i++)
        {
            steps.Add((path[i - 1], path[i]));
        }

        return steps;
    }

    private static void AddEdge(List<GraphEdge> edges, JsonObject states, string from, JsonNode? to, string kind)
    {
        if (to?.GetValue<string>() is { } target && states.ContainsKey(target) && !edges.Exists(e => e.From == from && e.To == target))
        {
            edges.Add(new GraphEdge(from, target, kind));
        }
    }
}
