using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CustomLabels.Core.Workflow.Embedded.Definition;

/// <summary>
/// An Amazon States Language reference path: <c>$</c> (the input) or <c>$$</c> (the context object) followed by
/// <c>.name</c>, <c>['name']</c> or <c>[index]</c> steps. Filters, wildcards and slices are refused at parse time,
/// so evaluating a path is a plain walk with no pattern matching.
/// </summary>
internal sealed class JsonPath
{
    private const int MaxSteps = 64;

    private readonly object[] _steps;

    private JsonPath(string text, bool isContext, object[] steps)
    {
        Text = text;
        IsContext = isContext;
        _steps = steps;
    }

    /// <summary>The path <c>$</c>.</summary>
    public static JsonPath Root { get; } = new("$", isContext: false, []);

    /// <summary>The path as written.</summary>
    public string Text { get; }

    /// <summary>True when the path starts with <c>$$</c>.</summary>
    public bool IsContext { get; }

    /// <summary>True for <c>$</c> alone.</summary>
    public bool IsRoot => _steps.Length == 0 && !IsContext;

    /// <summary>Parses a reference path.</summary>
    /// <exception cref="FormatException">The text is not a reference path; the message says why.</exception>
    public static JsonPath Parse(string text, bool allowContext = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith('$'))
        {
            throw new FormatException($"the path '{text}' does not start with '$'");
        }

        var isContext = text.StartsWith("$$", StringComparison.Ordinal);
        if (isContext && !allowContext)
        {
            throw new FormatException($"the path '{text}' may not refer to the context object");
        }

        var steps = new List<object>();
        var i = isContext ? 2 : 1;
        while (i < text.Length)
        {
            if (steps.Count >= MaxSteps)
            {
                throw new FormatException($"the path '{text}' has more than {MaxSteps} steps");
            }

            if (text[i] == '.')
            {
                var start = ++i;
                while (i < text.Length && text[i] != '.' && text[i] != '[')
                {
                    if (text[i] is '*' or '?' or '@' or '(' or ')' or ']' or '\'' or '"' || char.IsWhiteSpace(text[i]))
                    {
                        throw new FormatException($"the path '{text}' has a character '{text[i]}' that a reference path may not use");
                    }

                    i++;
                }

                if (i == start)
                {
                    throw new FormatException($"the path '{text}' has an empty step");
                }

                steps.Add(text[start..i]);
            }
            else if (text[i] == '[')
            {
                i++;
                if (i < text.Length && text[i] is '\'' or '"')
                {
                    var quote = text[i++];
                    var name = new StringBuilder();
                    while (i < text.Length && text[i] != quote)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }

                        name.Append(text[i++]);
                    }

                    if (i + 1 >= text.Length || text[i + 1] != ']')
                    {
                        throw new FormatException($"the path '{text}' has an unclosed bracket");
                    }

                    i += 2;
                    steps.Add(name.ToString());
                }
                else
                {
                    var start = i;
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }

                    if (i == start || i >= text.Length || text[i] != ']'
                        || !int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        throw new FormatException($"the path '{text}' has a bracket that is neither a quoted name nor an index (filters, wildcards and slices are not reference paths)");
                    }

                    i++;
                    steps.Add(index);
                }
            }
            else
            {
                throw new FormatException($"the path '{text}' has '{text[i]}' where '.' or '[' should be");
            }
        }

        return steps.Count == 0 && !isContext ? Root : new JsonPath(text, isContext, [.. steps]);
    }

    /// <summary>Finds the value the path names, in the input or (for <c>$$</c>) the context object.</summary>
    public bool TrySelect(JsonNode? input, JsonNode? context, out JsonNode? value)
    {
        var current = IsContext ? context : input;
        foreach (var step in _steps)
        {
            switch (step)
            {
                case string name when current is JsonObject obj && obj.TryGetPropertyValue(name, out var child):
                    current = child;
                    break;
                case int index when current is JsonArray array && index < array.Count:
                    current = array[index];
                    break;
                default:
                    value = null;
                    return false;
            }
        }

        value = current;
        return true;
    }

    /// <summary>Selects the value, or throws States.Runtime naming the path when there is none.</summary>
    public JsonNode? Select(JsonNode? input, JsonNode? context, string what) =>
        TrySelect(input, context, out var value)
            ? value?.DeepClone()
            : throw new StatesErrorException(StatesErrors.Runtime, $"The {what} '{Text}' does not match any value in the input.");

    /// <summary>
    /// Places <paramref name="result"/> in a copy of <paramref name="input"/> at this path (ResultPath), creating
    /// objects along the way.
    /// </summary>
    public JsonNode? Place(JsonNode? input, JsonNode? result)
    {
        if (_steps.Length == 0)
        {
            return result?.DeepClone();
        }

        var root = input?.DeepClone();
        if (root is not JsonObject)
        {
            throw new StatesErrorException(StatesErrors.Runtime, $"The ResultPath '{Text}' cannot be applied: the state's input is not a JSON object.");
        }

        JsonNode current = root;
        for (var i = 0; i < _steps.Length; i++)
        {
            var last = i == _steps.Length - 1;
            switch (_steps[i], current)
            {
                case (string name, JsonObject obj):
                    if (last)
                    {
                        obj[name] = result?.DeepClone();
                    }
                    else
                    {
                        if (obj[name] is not JsonObject and not JsonArray)
                        {
                            obj[name] = new JsonObject();
                        }

                        current = obj[name]!;
                    }

                    break;
                case (int index, JsonArray array) when index < array.Count:
                    if (last)
                    {
                        array[index] = result?.DeepClone();
                    }
                    else
                    {
                        current = array[index] ?? throw new StatesErrorException(StatesErrors.Runtime, $"The ResultPath '{Text}' runs through a null.");
                    }

                    break;
                default:
                    throw new StatesErrorException(StatesErrors.Runtime, $"The ResultPath '{Text}' cannot be applied to the state's input.");
            }
        }

        return root;
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
