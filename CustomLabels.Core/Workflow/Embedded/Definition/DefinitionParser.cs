using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CustomLabels.Core.Workflow.Embedded.Definition;

/// <summary>
/// Reads and checks an Amazon States Language definition before anything runs: every field of every state, every
/// path and template, that every Next names a state, that every state is reachable and can reach an end, and that
/// each Task's <c>Resource</c> (<c>${&lt;Name&gt;FunctionArn}</c>) names a registered task handler. All problems are
/// reported together, each naming its state.
/// </summary>
internal static partial class DefinitionParser
{
    /// <summary>Step Functions' limit on a definition's size.</summary>
    public const int MaxDefinitionBytes = 1024 * 1024;

    private const int MaxStates = 10_000;
    private const int MaxStateNameLength = 80;

    private static readonly string[] CommonFields = ["Type", "Comment"];
    private static readonly string[] FlowFields = ["Next", "End"];
    private static readonly string[] IoFields = ["InputPath", "OutputPath"];
    private static readonly string[] WaitFields = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"];

    private static readonly Dictionary<string, string[]> FieldsByType = new(StringComparer.Ordinal)
    {
        ["Pass"] = [.. CommonFields, .. FlowFields, .. IoFields, "Parameters", "Result", "ResultPath"],
        ["Task"] = [.. CommonFields, .. FlowFields, .. IoFields, "Resource", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds"],
        ["Choice"] = [.. CommonFields, .. IoFields, "Choices", "Default"],
        ["Wait"] = [.. CommonFields, .. FlowFields, .. IoFields, "Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        ["Succeed"] = [.. CommonFields, .. IoFields],
        ["Fail"] = [.. CommonFields, "Error", "Cause", "ErrorPath", "CausePath"],
    };

    /// <summary>Parses and validates a definition.</summary>
    /// <param name="json">The definition's text.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <param name="handlers">The task handlers by name.</param>
    /// <exception cref="WorkflowDefinitionException">The definition is not valid; the message names each state at fault.</exception>
    public static StateMachineDefinition Parse(string json, string source, IReadOnlyDictionary<string, ITaskHandler> handlers)
    {
        var errors = new List<string>();
        if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxDefinitionBytes)
        {
            throw new WorkflowDefinitionException(source, [$"the definition is larger than {MaxDefinitionBytes / 1024} KiB"]);
        }

        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject
                ?? throw new WorkflowDefinitionException(source, ["the definition is not a JSON object"]);
        }
        catch (JsonException e)
        {
            throw new WorkflowDefinitionException(source, [$"the definition is not valid JSON: {e.Message}"]);
        }

        foreach (var field in root.Select(p => p.Key).Where(k => k is not ("Comment" or "StartAt" or "States" or "TimeoutSeconds" or "Version" or "QueryLanguage")))
        {
            errors.Add($"the top level has a field '{field}' that Amazon States Language does not define");
        }

        if (root["QueryLanguage"] is { } language && AsString(language) != "JSONPath")
        {
            errors.Add("QueryLanguage must be JSONPath: the embedded runner does not interpret JSONata");
        }

        var startAt = AsString(root["StartAt"]);
        if (startAt is null)
        {
            errors.Add("StartAt is missing or not a string");
        }

        int? timeout = null;
        if (root.ContainsKey("TimeoutSeconds"))
        {
            timeout = PositiveInt(root["TimeoutSeconds"]);
            if (timeout is null)
            {
                errors.Add("TimeoutSeconds must be a whole number of at least 1");
            }
        }

        var states = new Dictionary<string, State>(StringComparer.Ordinal);
        if (root["States"] is not JsonObject stateNodes || stateNodes.Count == 0)
        {
            errors.Add("States is missing or has no state");
            throw new WorkflowDefinitionException(source, errors);
        }

        if (stateNodes.Count > MaxStates)
        {
            throw new WorkflowDefinitionException(source, [$"the definition has more than {MaxStates} states"]);
        }

        foreach (var (name, node) in stateNodes)
        {
            var stateErrors = new List<string>();
            var state = ParseState(name, node, handlers, stateErrors);
            errors.AddRange(stateErrors.Select(e => $"state '{Printable(name)}': {e}"));
            if (state is not null && stateErrors.Count == 0)
            {
                states[name] = state;
            }
        }

        if (startAt is not null && !stateNodes.ContainsKey(startAt))
        {
            errors.Add($"StartAt names '{Printable(startAt)}', which is not a state");
        }

        foreach (var state in states.Values)
        {
            foreach (var next in state.Successors.Where(n => !stateNodes.ContainsKey(n)).Distinct())
            {
                errors.Add($"state '{Printable(state.Name)}': it moves to '{Printable(next)}', which is not a state");
            }
        }

        if (errors.Count == 0)
        {
            CheckGraph(startAt!, states, errors);
        }

        return errors.Count == 0 ? new StateMachineDefinition(startAt!, states, timeout) : throw new WorkflowDefinitionException(source, errors);
    }

    private static void CheckGraph(string startAt, Dictionary<string, State> states, List<string> errors)
    {
        var reachable = new HashSet<string>(StringComparer.Ordinal) { startAt };
        var queue = new Queue<string>([startAt]);
        while (queue.TryDequeue(out var name))
        {
            foreach (var next in states[name].Successors.Where(reachable.Add))
            {
                queue.Enqueue(next);
            }
        }

        foreach (var name in states.Keys.Where(n => !reachable.Contains(n)))
        {
            errors.Add($"state '{Printable(name)}': no path from StartAt reaches it");
        }

        // A state that can never reach an end would run forever; walk the graph backwards from the terminal states.
        var predecessors = states.Values
            .SelectMany(s => s.Successors.Distinct().Select(n => (From: s.Name, To: n)))
            .ToLookup(e => e.To, e => e.From, StringComparer.Ordinal);
        var canEnd = new HashSet<string>(states.Values.Where(s => s.IsTerminal).Select(s => s.Name), StringComparer.Ordinal);
        if (canEnd.Count == 0)
        {
            errors.Add("no state ends the execution (End: true, Succeed or Fail)");
            return;
        }

        var back = new Queue<string>(canEnd);
        while (back.TryDequeue(out var name))
        {
            foreach (var from in predecessors[name].Where(canEnd.Add))
            {
                back.Enqueue(from);
            }
        }

        foreach (var name in reachable.Where(n => !canEnd.Contains(n)).Order(StringComparer.Ordinal))
        {
            errors.Add($"state '{Printable(name)}': no path from it reaches a state that ends the execution");
        }
    }

    private static State? ParseState(string name, JsonNode? node, IReadOnlyDictionary<string, ITaskHandler> handlers, List<string> errors)
    {
        if (name.Length is 0 or > MaxStateNameLength || name.Any(char.IsControl))
        {
            errors.Add($"a state name must be 1 to {MaxStateNameLength} characters with no control characters");
            return null;
        }

        if (node is not JsonObject obj)
        {
            errors.Add("the state is not a JSON object");
            return null;
        }

        var typeName = AsString(obj["Type"]);
        if (typeName is null)
        {
            errors.Add("Type is missing");
            return null;
        }

        if (!FieldsByType.TryGetValue(typeName, out var allowed))
        {
            errors.Add(typeName is "Parallel" or "Map"
                ? $"the state type {typeName} is not supported by the embedded runner (Pass, Task, Choice, Wait, Succeed and Fail are)"
                : $"'{Printable(typeName)}' is not a state type");
            return null;
        }

        foreach (var field in obj.Select(p => p.Key).Where(k => !allowed.Contains(k)))
        {
            errors.Add($"a {typeName} state has no field '{Printable(field)}'");
        }

        var type = Enum.Parse<StateType>(typeName);
        string? next = null;
        if (type is StateType.Pass or StateType.Task or StateType.Wait)
        {
            next = AsString(obj["Next"]);
            var end = obj["End"] is JsonValue e && e.GetValueKind() == JsonValueKind.True;
            if ((next is null) == !end)
            {
                errors.Add(next is null ? "it needs either Next (a state name) or End: true" : "it has both Next and End: true");
            }
            else if (obj.ContainsKey("Next") && next is null)
            {
                errors.Add("Next must be a state name");
            }
        }

        var state = new State
        {
            Name = name,
            Type = type,
            Next = next,
            InputPath = OptionalPath(obj, "InputPath", errors),
            OutputPath = OptionalPath(obj, "OutputPath", errors),
            ResultPath = OptionalPath(obj, "ResultPath", errors, allowContext: false),
            Parameters = Template(obj, "Parameters", errors),
            ResultSelector = Template(obj, "ResultSelector", errors),
            Result = obj["Result"]?.DeepClone(),
            HasResult = obj.ContainsKey("Result"),
        };

        return type switch
        {
            StateType.Task => TaskState(state, obj, handlers, errors),
            StateType.Choice => ChoiceState(state, obj, errors),
            StateType.Wait => WaitState(state, obj, errors),
            StateType.Fail => FailState(state, obj, errors),
            _ => state,
        };
    }

    private static State TaskState(State state, JsonObject obj, IReadOnlyDictionary<string, ITaskHandler> handlers, List<string> errors)
    {
        ITaskHandler? handler = null;
        var resource = AsString(obj["Resource"]);
        if (resource is null)
        {
            errors.Add("Resource is missing");
        }
        else if (ResourcePattern().Match(resource) is not { Success: true } match)
        {
            errors.Add($"Resource '{Printable(resource)}' is not of the form ${{<Name>FunctionArn}}");
        }
        else if (!handlers.TryGetValue(match.Groups["name"].Value, out handler))
        {
            errors.Add($"Resource '{resource}' names no registered task handler '{match.Groups["name"].Value}'");
        }

        int? timeout = null;
        if (obj.ContainsKey("TimeoutSeconds") && (timeout = PositiveInt(obj["TimeoutSeconds"])) is null)
        {
            errors.Add("TimeoutSeconds must be a whole number of at least 1");
        }

        if (obj.ContainsKey("HeartbeatSeconds") && (PositiveInt(obj["HeartbeatSeconds"]) is not { } heartbeat || heartbeat >= (timeout ?? int.MaxValue)))
        {
            errors.Add("HeartbeatSeconds must be a whole number of at least 1 and less than TimeoutSeconds");
        }

        return new State
        {
            Name = state.Name, Type = state.Type, Next = state.Next, InputPath = state.InputPath, OutputPath = state.OutputPath,
            ResultPath = state.ResultPath, Parameters = state.Parameters, ResultSelector = state.ResultSelector,
            Handler = handler, TimeoutSeconds = timeout,
            Retry = Retriers(obj["Retry"], errors),
            Catch = Catchers(obj["Catch"], errors),
        };
    }

    private static List<Retrier> Retriers(JsonNode? node, List<string> errors)
    {
        var result = new List<Retrier>();
        if (node is null)
        {
            return result;
        }

        if (node is not JsonArray items)
        {
            errors.Add("Retry must be an array");
            return result;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var where = $"Retry[{i}]";
            if (items[i] is not JsonObject retrier)
            {
                errors.Add($"{where} is not an object");
                continue;
            }

            foreach (var field in retrier.Select(p => p.Key).Where(k => k is not ("ErrorEquals" or "IntervalSeconds" or "MaxAttempts" or "BackoffRate" or "MaxDelaySeconds" or "JitterStrategy" or "Comment")))
            {
                errors.Add($"{where} has no field '{Printable(field)}'");
            }

            var errorEquals = ErrorEquals(retrier, where, i == items.Count - 1, errors);
            var interval = retrier.ContainsKey("IntervalSeconds") ? PositiveInt(retrier["IntervalSeconds"]) : 1;
            var attempts = retrier.ContainsKey("MaxAttempts") ? NonNegativeInt(retrier["MaxAttempts"]) : 3;
            var backoff = retrier.ContainsKey("BackoffRate") ? Number(retrier["BackoffRate"]) : 2.0;
            var maxDelay = retrier.ContainsKey("MaxDelaySeconds") ? PositiveInt(retrier["MaxDelaySeconds"]) : null;
            var jitter = retrier.ContainsKey("JitterStrategy") ? AsString(retrier["JitterStrategy"]) : "NONE";
            if (interval is null)
            {
                errors.Add($"{where}.IntervalSeconds must be a whole number of at least 1");
            }

            if (attempts is null or > 99_999_999)
            {
                errors.Add($"{where}.MaxAttempts must be a whole number from 0 to 99999999");
            }

            if (backoff is null or < 1.0)
            {
                errors.Add($"{where}.BackoffRate must be a number of at least 1.0");
            }

            if (retrier.ContainsKey("MaxDelaySeconds") && maxDelay is null)
            {
                errors.Add($"{where}.MaxDelaySeconds must be a whole number of at least 1");
            }

            if (jitter is not ("NONE" or "FULL"))
            {
                errors.Add($"{where}.JitterStrategy must be NONE or FULL");
            }

            if (errorEquals is not null && interval is not null && attempts is not null && backoff is not null)
            {
                result.Add(new Retrier(errorEquals, interval.Value, attempts.Value, backoff.Value, maxDelay, jitter == "FULL"));
            }
        }

        return result;
    }

    private static List<Catcher> Catchers(JsonNode? node, List<string> errors)
    {
        var result = new List<Catcher>();
        if (node is null)
        {
            return result;
        }

        if (node is not JsonArray items)
        {
            errors.Add("Catch must be an array");
            return result;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var where = $"Catch[{i}]";
            if (items[i] is not JsonObject catcher)
            {
                errors.Add($"{where} is not an object");
                continue;
            }

            foreach (var field in catcher.Select(p => p.Key).Where(k => k is not ("ErrorEquals" or "Next" or "ResultPath" or "Comment")))
            {
                errors.Add($"{where} has no field '{Printable(field)}'");
            }

            var errorEquals = ErrorEquals(catcher, where, i == items.Count - 1, errors);
            var next = AsString(catcher["Next"]);
            if (next is null)
            {
                errors.Add($"{where}.Next is missing");
            }

            var resultPath = OptionalPath(catcher, "ResultPath", errors, allowContext: false, where + ".");
            if (errorEquals is not null && next is not null)
            {
                result.Add(new Catcher(errorEquals, next, resultPath));
            }
        }

        return result;
    }

    private static List<string>? ErrorEquals(JsonObject entry, string where, bool isLast, List<string> errors)
    {
        if (entry["ErrorEquals"] is not JsonArray { Count: > 0 } names || names.Any(n => AsString(n) is null))
        {
            errors.Add($"{where}.ErrorEquals must be a non-empty array of error names");
            return null;
        }

        var list = names.Select(n => AsString(n)!).ToList();
        if (list.Contains(StatesErrors.All) && (list.Count > 1 || !isLast))
        {
            errors.Add($"{where}: States.ALL must be alone in ErrorEquals and in the last entry");
        }

        return list;
    }

    private static State ChoiceState(State state, JsonObject obj, List<string> errors)
    {
        var choices = new List<(ChoiceRule, string)>();
        if (obj["Choices"] is not JsonArray { Count: > 0 } rules)
        {
            errors.Add("Choices must be a non-empty array of rules");
        }
        else
        {
            for (var i = 0; i < rules.Count; i++)
            {
                try
                {
                    var rule = rules[i] as JsonObject ?? throw new FormatException("a rule is not an object");
                    var next = AsString(rule["Next"]) ?? throw new FormatException("Next must be a state name");
                    choices.Add((ChoiceRule.Parse(rule, topLevel: true), next));
                }
                catch (FormatException e)
                {
                    errors.Add($"Choices[{i}]: {e.Message}");
                }
            }
        }

        string? defaultState = null;
        if (obj.ContainsKey("Default") && (defaultState = AsString(obj["Default"])) is null)
        {
            errors.Add("Default must be a state name");
        }

        return new State
        {
            Name = state.Name, Type = state.Type, InputPath = state.InputPath, OutputPath = state.OutputPath,
            Choices = choices, Default = defaultState,
        };
    }

    private static State WaitState(State state, JsonObject obj, List<string> errors)
    {
        var given = WaitFields.Where(obj.ContainsKey).ToList();
        if (given.Count != 1)
        {
            errors.Add("it needs exactly one of Seconds, SecondsPath, Timestamp and TimestampPath");
        }

        double? seconds = null;
        DateTimeOffset? timestamp = null;
        if (obj.ContainsKey("Seconds") && (seconds = NonNegativeInt(obj["Seconds"])) is null)
        {
            errors.Add("Seconds must be a whole number of at least 0");
        }

        if (obj.ContainsKey("Timestamp"))
        {
            timestamp = AsString(obj["Timestamp"]) is { } text
                        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
                ? parsed
                : null;
            if (timestamp is null)
            {
                errors.Add("Timestamp must be an RFC 3339 timestamp");
            }
        }

        return new State
        {
            Name = state.Name, Type = state.Type, Next = state.Next, InputPath = state.InputPath, OutputPath = state.OutputPath,
            Seconds = seconds, Timestamp = timestamp,
            SecondsPath = obj.ContainsKey("SecondsPath") ? RequiredPath(obj, "SecondsPath", errors) : null,
            TimestampPath = obj.ContainsKey("TimestampPath") ? RequiredPath(obj, "TimestampPath", errors) : null,
        };
    }

    private static State FailState(State state, JsonObject obj, List<string> errors)
    {
        if (obj.ContainsKey("Error") && obj.ContainsKey("ErrorPath"))
        {
            errors.Add("it has both Error and ErrorPath");
        }

        if (obj.ContainsKey("Cause") && obj.ContainsKey("CausePath"))
        {
            errors.Add("it has both Cause and CausePath");
        }

        if ((obj.ContainsKey("Error") && AsString(obj["Error"]) is null) || (obj.ContainsKey("Cause") && AsString(obj["Cause"]) is null))
        {
            errors.Add("Error and Cause must be strings");
        }

        return new State
        {
            Name = state.Name, Type = state.Type,
            Error = AsString(obj["Error"]), Cause = AsString(obj["Cause"]),
            ErrorPath = obj.ContainsKey("ErrorPath") ? RequiredPath(obj, "ErrorPath", errors) : null,
            CausePath = obj.ContainsKey("CausePath") ? RequiredPath(obj, "CausePath", errors) : null,
        };
    }

    private static JsonPath? OptionalPath(JsonObject obj, string field, List<string> errors, bool allowContext = true, string prefix = "")
    {
        if (!obj.TryGetPropertyValue(field, out var node))
        {
            return JsonPath.Root;
        }

        if (node is null)
        {
            return null;
        }

        return PathOf(node, prefix + field, errors, allowContext) ?? JsonPath.Root;
    }

    private static JsonPath? RequiredPath(JsonObject obj, string field, List<string> errors) => PathOf(obj[field], field, errors, allowContext: true);

    private static JsonPath? PathOf(JsonNode? node, string field, List<string> errors, bool allowContext)
    {
        if (AsString(node) is not { } text)
        {
            errors.Add($"{field} must be a path string");
            return null;
        }

        try
        {
            return JsonPath.Parse(text, allowContext);
        }
        catch (FormatException e)
        {
            errors.Add($"{field}: {e.Message}");
            return null;
        }
    }

    private static PayloadTemplate? Template(JsonObject obj, string field, List<string> errors)
    {
        if (!obj.TryGetPropertyValue(field, out var node))
        {
            return null;
        }

        try
        {
            return PayloadTemplate.Compile(node);
        }
        catch (FormatException e)
        {
            errors.Add($"{field}: {e.Message}");
            return null;
        }
    }

    private static string? AsString(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    private static int? NonNegativeInt(JsonNode? node) =>
        Number(node) is { } n && n >= 0 && n <= int.MaxValue && Math.Floor(n) == n ? (int)n : null;

    private static int? PositiveInt(JsonNode? node) => NonNegativeInt(node) is > 0 and var n ? n : null;

    private static string Printable(string text) => Storage.ObjectKey.Printable(text);

    [GeneratedRegex(@"^\$\{(?<name>[A-Za-z][A-Za-z0-9]{0,63})FunctionArn\}$", RegexOptions.CultureInvariant)]
    private static partial Regex ResourcePattern();
}
