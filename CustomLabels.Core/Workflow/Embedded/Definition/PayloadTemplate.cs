using System.Text.Json.Nodes;

namespace CustomLabels.Core.Workflow.Embedded.Definition;

/// <summary>
/// A Parameters or ResultSelector template: JSON whose fields ending in <c>.$</c> take their value from a
/// reference path (input or context object) or an intrinsic function, compiled once when the definition loads.
/// </summary>
internal sealed class PayloadTemplate
{
    private readonly Node _root;

    private PayloadTemplate(Node root) => _root = root;

    /// <summary>Compiles a template.</summary>
    /// <exception cref="FormatException">A <c>.$</c> field holds neither a path nor an intrinsic function.</exception>
    public static PayloadTemplate Compile(JsonNode? template) => new(CompileNode(template));

    /// <summary>Builds the payload from the state's input and the context object.</summary>
    public JsonNode? Apply(JsonNode? input, JsonNode? context) => _root.Build(input, context);

    private static Node CompileNode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var fields = new List<(string Name, Node Value)>();
                foreach (var (key, value) in obj)
                {
                    if (key.EndsWith(".$", StringComparison.Ordinal))
                    {
                        var name = key[..^2];
                        if (value is not JsonValue text || !text.TryGetValue<string>(out var expression))
                        {
                            throw new FormatException($"the field '{key}' must hold a path or an intrinsic function as a string");
                        }

                        fields.Add((name, expression.StartsWith('$')
                            ? new PathNode(JsonPath.Parse(expression))
                            : new IntrinsicNode(IntrinsicFunction.Parse(expression))));
                    }
                    else
                    {
                        fields.Add((key, CompileNode(value)));
                    }
                }

                var duplicate = fields.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
                return duplicate is null
                    ? new ObjectNode(fields)
                    : throw new FormatException($"the field '{duplicate.Key}' is given twice (with and without '.$')");
            case JsonArray array:
                return new ArrayNode([.. array.Select(CompileNode)]);
            default:
                return new LiteralNode(node?.DeepClone());
        }
    }

    private abstract class Node
    {
        public abstract JsonNode? Build(JsonNode? input, JsonNode? context);
    }

    private sealed class LiteralNode(JsonNode? value) : Node
    {
        public override JsonNode? Build(JsonNode? input, JsonNode? context) => value?.DeepClone();
    }

    private sealed class PathNode(JsonPath path) : Node
    {
        public override JsonNode? Build(JsonNode? input, JsonNode? context) => path.Select(input, context, "path");
    }

    private sealed class IntrinsicNode(IntrinsicFunction function) : Node
    {
        public override JsonNode? Build(JsonNode? input, JsonNode? context) => function.Invoke(input, context);
    }

    private sealed class ObjectNode(List<(string Name, Node Value)> fields) : Node
    {
        public override JsonNode? Build(JsonNode? input, JsonNode? context)
        {
            var result = new JsonObject();
            foreach (var (name, value) in fields)
            {
                result[name] = value.Build(input, context);
            }

            return result;
        }
    }

    private sealed class ArrayNode(Node[] items) : Node
    {
        public override JsonNode? Build(JsonNode? input, JsonNode? context)
        {
            var result = new JsonArray();
            foreach (var item in items)
            {
                result.Add(item.Build(input, context));
            }

            return result;
        }
    }
}
