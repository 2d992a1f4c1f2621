using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CustomLabels.Core.Workflow.Embedded.Definition;

/// <summary>
/// A Choice state's rule: a comparison on a variable (String, Numeric, Boolean and Timestamp comparisons, their
/// Path variants, IsPresent, IsNull, IsString, IsNumeric, IsBoolean, IsTimestamp, StringMatches), or And, Or, Not.
/// </summary>
internal abstract class ChoiceRule
{
    private const int MaxDepth = 16;

    private static readonly string[] TimestampFormats =
        ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    private static readonly HashSet<string> Comparisons = BuildComparisons();

    /// <summary>Whether the rule holds for the input.</summary>
    public abstract bool Evaluate(JsonNode? input, JsonNode? context);

    /// <summary>Parses a rule; a top-level rule has Next, a nested one must not.</summary>
    /// <exception cref="FormatException">The rule is not valid; the message says why.</exception>
    public static ChoiceRule Parse(JsonObject rule, bool topLevel, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException($"rules are nested more than {MaxDepth} deep");
        }

        var operators = rule.Select(p => p.Key).Where(k => k is not "Next" and not "Variable" and not "Comment").ToList();
        if (operators.Count != 1)
        {
            throw new FormatException(operators.Count == 0
                ? "a rule has no comparison operator, And, Or or Not"
                : $"a rule has more than one operator ({string.Join(", ", operators)})");
        }

        if (topLevel != rule.ContainsKey("Next"))
        {
            throw new FormatException(topLevel ? "a rule in Choices has no Next" : "a rule inside And, Or or Not may not have Next");
        }

        var op = operators[0];
        var operand = rule[op];
        switch (op)
        {
            case "And" or "Or":
                if (rule.ContainsKey("Variable"))
                {
                    throw new FormatException($"an {op} rule may not have a Variable");
                }

                if (operand is not JsonArray { Count: > 0 } items || items.Any(i => i is not JsonObject))
                {
                    throw new FormatException($"{op} must be a non-empty array of rules");
                }

                var children = items.Select(i => Parse((JsonObject)i!, topLevel: false, depth + 1)).ToArray();
                return op == "And" ? new AllRule(children) : new AnyRule(children);
            case "Not":
                return operand is JsonObject inner && !rule.ContainsKey("Variable")
                    ? new NotRule(Parse(inner, topLevel: false, depth + 1))
                    : throw new FormatException("Not must be one rule, with no Variable beside it");
        }

        if (!Comparisons.Contains(op))
        {
            throw new FormatException($"'{op}' is not a comparison operator");
        }

        if (rule["Variable"] is not JsonValue variableValue || !variableValue.TryGetValue<string>(out var variableText))
        {
            throw new FormatException($"the {op} rule has no Variable");
        }

        var variable = JsonPath.Parse(variableText);
        if (op.StartsWith("Is", StringComparison.Ordinal))
        {
            return operand is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                ? new TypeTestRule(variable, op, b.GetValue<bool>())
                : throw new FormatException($"{op} must be true or false");
        }

        if (op.EndsWith("Path", StringComparison.Ordinal))
        {
            return operand is JsonValue p && p.TryGetValue<string>(out var pathText)
                ? new CompareRule(variable, op[..^4], JsonPath.Parse(pathText), null)
                : throw new FormatException($"{op} must be a path");
        }

        var kind = op.StartsWith("String", StringComparison.Ordinal) || op.StartsWith("Timestamp", StringComparison.Ordinal)
            ? JsonValueKind.String
            : op.StartsWith("Numeric", StringComparison.Ordinal) ? JsonValueKind.Number : JsonValueKind.True;
        var valid = operand is JsonValue literal && (kind == JsonValueKind.True
            ? literal.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            : literal.GetValueKind() == kind);
        if (!valid || (op.StartsWith("Timestamp", StringComparison.Ordinal) && ParseTimestamp(operand) is null))
        {
            throw new FormatException($"{op} must be {(kind == JsonValueKind.String ? op.StartsWith("Timestamp", StringComparison.Ordinal) ? "an RFC 3339 timestamp" : "a string" : kind == JsonValueKind.Number ? "a number" : "true or false")}");
        }

        return new CompareRule(variable, op, null, operand!.DeepClone());
    }

    private static HashSet<string> BuildComparisons()
    {
        var names = new HashSet<string>(StringComparer.Ordinal)
        {
            "BooleanEquals", "BooleanEqualsPath", "StringMatches",
            "IsPresent", "IsNull", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp",
        };
        foreach (var family in new[] { "String", "Numeric", "Timestamp" })
        {
            foreach (var relation in new[] { "Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals" })
            {
                names.Add(family + relation);
                names.Add(family + relation + "Path");
            }
        }

        return names;
    }

    private static DateTimeOffset? ParseTimestamp(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var text)
        && DateTimeOffset.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;

    private static string? AsString(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? AsNumber(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    private static bool? AsBoolean(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    private static JsonNode? Variable(JsonPath variable, JsonNode? input, JsonNode? context) =>
        variable.TrySelect(input, context, out var value)
            ? value
            : throw new StatesErrorException(StatesErrors.Runtime, $"Invalid path '{variable.Text}': the choice state's condition path references an invalid value.");

    /// <summary>Matches a StringMatches pattern: <c>*</c> is any run of characters, <c>\*</c> and <c>\\</c> are literal.</summary>
    internal static bool Glob(string text, string pattern)
    {
        // Tokens: (char, isWildcard)
        var tokens = new List<(char C, bool Star)>(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                tokens.Add((pattern[++i], false));
            }
            else
            {
                tokens.Add((pattern[i], pattern[i] == '*'));
            }
        }

        // Greedy match with backtracking to the last star: linear in practice, quadratic at worst, never exponential.
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < tokens.Count && !tokens[p].Star && tokens[p].C == text[t])
            {
                t++;
                p++;
            }
            else if (p < tokens.Count && tokens[p].Star)
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < tokens.Count && tokens[p].Star)
        {
            p++;
        }

        return p == tokens.Count;
    }

    private sealed class AllRule(ChoiceRule[] rules) : ChoiceRule
    {
        public override bool Evaluate(JsonNode? input, JsonNode? context) => rules.All(r => r.Evaluate(input, context));
    }

    private sealed class AnyRule(ChoiceRule[] rules) : ChoiceRule
    {
        public override bool Evaluate(JsonNode? input, JsonNode? context) => rules.Any(r => r.Evaluate(input, context));
    }

    private sealed class NotRule(ChoiceRule rule) : ChoiceRule
    {
        public override bool Evaluate(JsonNode? input, JsonNode? context) => !rule.Evaluate(input, context);
    }

    private sealed class TypeTestRule(JsonPath variable, string test, bool expected) : ChoiceRule
    {
        public override bool Evaluate(JsonNode? input, JsonNode? context)
        {
            var present = variable.TrySelect(input, context, out var value);
            var holds = test switch
            {
                "IsPresent" => present,
                "IsNull" => present && value is null,
                "IsString" => present && AsString(value) is not null,
                "IsNumeric" => present && AsNumber(value) is not null,
                "IsBoolean" => present && AsBoolean(value) is not null,
                "IsTimestamp" => present && ParseTimestamp(value) is not null,
                _ => false,
            };
            return holds == expected;
        }
    }

    private sealed class CompareRule(JsonPath variable, string op, JsonPath? operandPath, JsonNode? operand) : ChoiceRule
    {
        public override bool Evaluate(JsonNode? input, JsonNode? context)
        {
            var left = Variable(variable, input, context);
            var right = operandPath is null ? operand : Variable(operandPath, input, context);
            if (op == "StringMatches")
            {
                return AsString(left) is { } text && Glob(text, AsString(right)!);
            }

            if (op.StartsWith("Boolean", StringComparison.Ordinal))
            {
                return AsBoolean(left) is { } l && AsBoolean(right) is { } r && l == r;
            }

            int? order = op switch
            {
                _ when op.StartsWith("String", StringComparison.Ordinal) =>
                    AsString(left) is { } l && AsString(right) is { } r ? string.CompareOrdinal(l, r) : null,
                _ when op.StartsWith("Numeric", StringComparison.Ordinal) =>
                    AsNumber(left) is { } l && AsNumber(right) is { } r ? l.CompareTo(r) : null,
                _ => ParseTimestamp(left) is { } l && ParseTimestamp(right) is { } r ? l.CompareTo(r) : null,
            };
            if (order is not { } c)
            {
                return false; // a value of another type never compares
            }

            var relation = op[(op.StartsWith("Numeric", StringComparison.Ordinal) ? 7 : op.StartsWith("String", StringComparison.Ordinal) ? 6 : 9)..];
            return relation switch
            {
                "Equals" => c == 0,
                "LessThan" => c < 0,
                "GreaterThan" => c > 0,
                "LessThanEquals" => c <= 0,
                "GreaterThanEquals" => c >= 0,
                _ => false,
            };
        }
    }
}
