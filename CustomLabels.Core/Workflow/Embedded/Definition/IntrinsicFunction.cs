using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CustomLabels.Core.Workflow.Embedded.Definition;

/// <summary>
/// An intrinsic function call such as <c>States.Format('{} of {}', $.a, $.b)</c>. The embedded runner supports
/// States.Format, States.StringToJson, States.JsonToString, States.Array, States.ArrayLength, States.ArrayGetItem,
/// States.ArrayContains, States.MathAdd and States.UUID; any other name is refused when the definition loads.
/// </summary>
internal sealed class IntrinsicFunction
{
    private const int MaxArguments = 32;

    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "States.Format", "States.StringToJson", "States.JsonToString", "States.Array", "States.ArrayLength",
        "States.ArrayGetItem", "States.ArrayContains", "States.MathAdd", "States.UUID",
    };

    private readonly string _name;
    private readonly object?[] _arguments; // JsonNode literal, JsonPath or IntrinsicFunction

    private IntrinsicFunction(string name, object?[] arguments)
    {
        _name = name;
        _arguments = arguments;
    }

    /// <summary>Parses a call.</summary>
    /// <exception cref="FormatException">The text is not a supported intrinsic function call.</exception>
    public static IntrinsicFunction Parse(string text)
    {
        var position = 0;
        var function = ParseCall(text, ref position, depth: 0);
        SkipSpaces(text, ref position);
        return position == text.Length ? function : throw new FormatException($"'{text}' has text after the function call");
    }

    /// <summary>Runs the function.</summary>
    public JsonNode? Invoke(JsonNode? input, JsonNode? context)
    {
        var args = _arguments.Select(a => a switch
        {
            JsonPath path => path.Select(input, context, "path"),
            IntrinsicFunction nested => nested.Invoke(input, context),
            JsonNode literal => literal.DeepClone(),
            _ => null,
        }).ToArray();

        try
        {
            return _name switch
            {
                "States.Format" => Format(args),
                "States.StringToJson" => JsonNode.Parse(Text(args, 0)),
                "States.JsonToString" => JsonValue.Create(args.Length == 1 ? args[0]?.ToJsonString() ?? "null" : throw Arity(1)),
                "States.Array" => new JsonArray(args),
                "States.ArrayLength" => JsonValue.Create(Array(args, 0).Count),
                "States.ArrayGetItem" => Array(args, 0)[(int)Number(args, 1)]?.DeepClone(),
                "States.ArrayContains" => JsonValue.Create(Array(args, 0).Any(item => JsonNode.DeepEquals(item, args.ElementAtOrDefault(1)))),
                "States.MathAdd" => JsonValue.Create(checked((long)Number(args, 0) + (long)Number(args, 1))),
                "States.UUID" => JsonValue.Create(Guid.NewGuid().ToString()),
                _ => throw new FormatException($"unknown function {_name}"),
            };
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new StatesErrorException(StatesErrors.IntrinsicFailure, $"{_name} failed: {e.Message}", e);
        }
    }

    private static JsonValue Format(JsonNode?[] args)
    {
        var template = Text(args, 0);
        var result = new StringBuilder();
        var next = 1;
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '{' && i + 1 < template.Length && template[i + 1] == '}')
            {
                if (next >= args.Length)
                {
                    throw new ArgumentException("the template has more {} than arguments");
                }

                var value = args[next++];
                result.Append(value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "null");
                i++;
            }
            else
            {
                result.Append(template[i]);
            }
        }

        return next == args.Length ? JsonValue.Create(result.ToString()) : throw new ArgumentException("there are more arguments than {} in the template");
    }

    private static string Text(JsonNode?[] args, int index) =>
        args.ElementAtOrDefault(index) is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new ArgumentException($"argument {index + 1} must be a string");

    private static JsonArray Array(JsonNode?[] args, int index) =>
        args.ElementAtOrDefault(index) as JsonArray ?? throw new ArgumentException($"argument {index + 1} must be an array");

    private static double Number(JsonNode?[] args, int index) =>
        args.ElementAtOrDefault(index) is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : throw new ArgumentException($"argument {index + 1} must be a number");

    private static ArgumentException Arity(int count) => new($"it takes {count} argument(s)");

    private static IntrinsicFunction ParseCall(string text, ref int position, int depth)
    {
        if (depth > 8)
        {
            throw new FormatException("intrinsic functions are nested too deeply");
        }

        SkipSpaces(text, ref position);
        var start = position;
        while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] == '.'))
        {
            position++;
        }

        var name = text[start..position];
        if (!Supported.Contains(name))
        {
            throw new FormatException($"'{name}' is not an intrinsic function that the embedded runner supports");
        }

        Expect(text, ref position, '(');
        var arguments = new List<object?>();
        SkipSpaces(text, ref position);
        if (position < text.Length && text[position] == ')')
        {
            position++;
            return new IntrinsicFunction(name, [.. arguments]);
        }

        while (true)
        {
            if (arguments.Count >= MaxArguments)
            {
                throw new FormatException($"{name} has more than {MaxArguments} arguments");
            }

            arguments.Add(ParseArgument(text, ref position, depth));
            SkipSpaces(text, ref position);
            if (position < text.Length && text[position] == ',')
            {
                position++;
                continue;
            }

            Expect(text, ref position, ')');
            return new IntrinsicFunction(name, [.. arguments]);
        }
    }

    private static object? ParseArgument(string text, ref int position, int depth)
    {
        SkipSpaces(text, ref position);
        if (position >= text.Length)
        {
            throw new FormatException("an argument is missing");
        }

        var c = text[position];
        if (c == '\'')
        {
            var value = new StringBuilder();
            position++;
            while (position < text.Length && text[position] != '\'')
            {
                if (text[position] == '\\' && position + 1 < text.Length)
                {
                    position++;
                }

                value.Append(text[position++]);
            }

            Expect(text, ref position, '\'');
            return JsonValue.Create(value.ToString());
        }

        var start = position;
        if (c == '$')
        {
            while (position < text.Length && text[position] != ',' && text[position] != ')')
            {
                if (text[position] == '[')
                {
                    var close = text.IndexOf(']', position);
                    position = close < 0 ? text.Length : close;
                }

                position++;
            }

            return JsonPath.Parse(text[start..position].TrimEnd());
        }

        if (text.AsSpan(position).StartsWith("States.", StringComparison.Ordinal))
        {
            return ParseCall(text, ref position, depth + 1);
        }

        while (position < text.Length && text[position] != ',' && text[position] != ')')
        {
            position++;
        }

        var literal = text[start..position].Trim();
        return literal switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            "null" => null,
            _ when double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out _) => JsonNode.Parse(literal),
            _ => throw new FormatException($"'{literal}' is not a string in single quotes, a number, a boolean, null, a path or a function"),
        };
    }

    private static void Expect(string text, ref int position, char expected)
    {
        SkipSpaces(text, ref position);
        if (position >= text.Length || text[position] != expected)
        {
            throw new FormatException($"'{expected}' expected at position {position + 1}");
        }

        position++;
    }

    private static void SkipSpaces(string text, ref int position)
    {
        while (position < text.Length && text[position] == ' ')
        {
            position++;
        }
    }
}
