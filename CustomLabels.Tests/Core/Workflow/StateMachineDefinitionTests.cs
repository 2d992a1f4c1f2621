using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Handlers;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Core.Workflow;

/// <summary>
/// Checks on <c>infra/statemachine.asl.json</c> beyond what asl-validator (run by test.sh) checks: the bindings to
/// task handlers and the transitions.
/// </summary>
public sealed partial class StateMachineDefinitionTests
{
    private static readonly JsonObject Definition = Load();

    private static JsonObject AllStates => Definition["States"]!.AsObject();

    [Fact]
    public void EveryTaskResourceNamesARegisteredHandler()
    {
        var registered = RegisteredHandlerNames();
        var tasks = AllStates.Where(s => (string?)s.Value!["Type"] == "Task").ToList();

        Assert.NotEmpty(tasks);
        foreach (var (name, state) in tasks)
        {
            var resource = (string?)state!["Resource"];
            var match = ResourcePattern().Match(resource ?? string.Empty);
            Assert.True(match.Success, $"State {name}: Resource '{resource}' is not ${{<Name>FunctionArn}}.");
            Assert.True(registered.Contains(match.Groups[1].Value), $"State {name}: no task handler is named '{match.Groups[1].Value}'.");
        }
    }

    [Fact]
    public void EveryTaskPassesItsInputAndTheExecutionContext()
    {
        // A Lambda function invoked by Step Functions receives only its payload: without this context a retried step
        // would not know its execution (the key that stops a notification or a step being applied twice).
        var context = JsonNode.Parse("""
            {"executionId.$": "$$.Execution.Id", "stateName.$": "$$.State.Name", "attempt.$": "$$.State.RetryCount"}
            """);
        foreach (var (name, state) in AllStates.Where(s => (string?)s.Value!["Type"] == "Task"))
        {
            var parameters = state!["Parameters"] as JsonObject;
            Assert.True(parameters is not null, $"State {name} has no Parameters to carry the context.");
            Assert.True(
                parameters.Count == 2 && ((string?)parameters["input.$"] == "$" || parameters["input"] is JsonObject),
                $"State {name}: Parameters must be {{\"input.$\": \"$\" or \"input\": {{…}}, \"context\": {{…}}}}, not {parameters.ToJsonString()}.");
            Assert.True(JsonNode.DeepEquals(context, parameters["context"]), $"State {name}: Parameters.context is {parameters["context"]?.ToJsonString()}.");
        }
    }

    [Fact]
    public void EveryRegisteredHandlerIsUsedAndNamesAreUnique()
    {
        var registered = RegisteredHandlerNames();
        var used = AllStates.Select(s => (string?)s.Value!["Resource"]).OfType<string>()
            .Select(r => ResourcePattern().Match(r).Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.Empty(registered.Except(used));
    }

    [Fact]
    public void EveryTransitionLeadsToAStateAndEveryStateIsReached()
    {
        var targets = new List<(string From, string To)> { ("StartAt", (string)Definition["StartAt"]!) };
        foreach (var (name, state) in AllStates)
        {
            foreach (var key in new[] { "Next", "Default" })
            {
                if ((string?)state![key] is { } next)
                {
                    targets.Add((name, next));
                }
            }

            foreach (var rule in (state!["Choices"] as JsonArray ?? []).Concat(state["Catch"] as JsonArray ?? []))
            {
                targets.Add((name, (string)rule!["Next"]!));
            }
        }

        foreach (var (from, to) in targets)
        {
            Assert.True(AllStates.ContainsKey(to), $"{from} leads to '{to}', which is not a state.");
        }

        var reached = targets.Select(t => t.To).ToHashSet(StringComparer.Ordinal);
        var unreached = AllStates.Select(s => s.Key).Where(s => !reached.Contains(s)).ToList();
        Assert.Empty(unreached);
    }

    [Fact]
    public void TheRouterSendsEachKindOfEventToItsBranch()
    {
        var events = new (JsonObject Event, string FirstTask)[]
        {
            (WorkflowEvents.ParameterChanged("Minimum-F1-Score"), "ApplyParameterChange"),
            (WorkflowEvents.Scheduled("training"), "CheckTraining"),
            (WorkflowEvents.Scheduled("sampling"), "SelectSamples"),
            (ObjectEvent("images_for_detection/cup.jpg"), "DetectCustomLabels"),
            (ObjectEvent("a2i-human-loop-data/customlabels-review/2026/01/02/03/04/05/review-1/output.json"), "ReadHumanLoopAnswer"),
            (ObjectEvent("images_labeled_by_folder/acme/a.jpg"), "UnknownEvent"),
            (new JsonObject { ["hello"] = "world" }, "UnknownEvent"),
        };

        foreach (var (input, expected) in events)
        {
            var state = (string)Definition["StartAt"]!;
            while ((string?)AllStates[state]!["Type"] == "Choice")
            {
                state = Route(AllStates[state]!.AsObject(), input);
            }

            Assert.Equal(expected, state);
        }
    }

    [Fact]
    public void EveryStepThatCanFailRetriesPassingFailuresAndReportsTheRest()
    {
        foreach (var (name, state) in AllStates.Where(s => (string?)s.Value!["Type"] == "Task"))
        {
            var retried = (state!["Retry"] as JsonArray ?? []).SelectMany(r => r!["ErrorEquals"]!.AsArray()).Select(e => (string?)e);
            Assert.Contains(WorkflowErrors.Transient, retried);
            if ((string?)state["Resource"] is "${NotifyFunctionArn}" or "${NotifyFailureFunctionArn}")
            {
                continue;
            }

            var caught = (state["Catch"] as JsonArray ?? []).Select(c => (string?)c!["Next"]);
            Assert.True(caught.Contains("ReportFailure"), $"State {name} does not report its failures.");
        }
    }

    private static JsonObject ObjectEvent(string key) =>
        WorkflowEvents.ObjectCreated("customlabels", new CustomLabels.Core.Storage.ObjectInfo(key, 3, DateTimeOffset.UtcNow, "etag", new Dictionary<string, string>()));

    /// <summary>A small reading of the Choice rules this definition uses (StringEquals, StringMatches, BooleanEquals, IsPresent, Not).</summary>
    private static string Route(JsonObject choice, JsonObject input)
    {
        foreach (var rule in choice["Choices"]!.AsArray())
        {
            if (Matches(rule!.AsObject(), input))
            {
                return (string)rule["Next"]!;
            }
        }

        return (string)choice["Default"]!;
    }

    private static bool Matches(JsonObject rule, JsonObject input)
    {
        if (rule["Not"] is JsonObject not)
        {
            return !Matches(not, input);
        }

        if (rule["And"] is JsonArray all)
        {
            return all.All(r => Matches(r!.AsObject(), input));
        }

        var value = Select(input, (string)rule["Variable"]!);
        if (rule["IsPresent"] is { } present)
        {
            return (value is not null) == (bool)present;
        }

        if (value is null)
        {
            throw new InvalidOperationException($"The Choice reads {(string)rule["Variable"]!}, which the input does not have.");
        }

        if (rule["StringEquals"] is { } text)
        {
            return value.GetValueKind() == System.Text.Json.JsonValueKind.String && (string)value! == (string)text!;
        }

        if (rule["StringMatches"] is { } pattern)
        {
            return Regex.IsMatch((string)value!, "^" + Regex.Escape((string)pattern!).Replace("\\*", ".*", StringComparison.Ordinal) + "$");
        }

        throw new InvalidOperationException($"The test does not read the rule {rule.ToJsonString()}.");
    }

    private static JsonNode? Select(JsonNode input, string path)
    {
        var node = input;
        foreach (var step in path.TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(step, out var child) ? child : null;
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    private static HashSet<string> RegisteredHandlerNames()
    {
        var services = new ServiceCollection().AddWorkflowTaskHandlers();
        return services.Where(d => d.ServiceType == typeof(ITaskHandler))
            .Select(d => ((ITaskHandler)RuntimeHelpers.GetUninitializedObject(d.ImplementationType!)).Name)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static JsonObject Load()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "infra", "statemachine.asl.json");
            if (File.Exists(path) && Directory.Exists(Path.Combine(directory.FullName, "CustomLabels.Core")))
            {
                return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            }
        }

        throw new FileNotFoundException("infra/statemachine.asl.json was not found above the test assembly.");
    }

    [GeneratedRegex(@"^\$\{([A-Za-z][A-Za-z0-9]*)FunctionArn\}$")]
    private static partial Regex ResourcePattern();
}
