using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded.Definition;

namespace CustomLabels.Tests.Core.Workflow;

public sealed class DefinitionValidationTests : IDisposable
{
    private static readonly Dictionary<string, ITaskHandler> Handlers = new(StringComparer.Ordinal)
    {
        ["Echo"] = new TestHandler("Echo", input => input),
    };

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Theory]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}""", "state 'A': it moves to 'Nowhere', which is not a state")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}""", "state 'A': it needs either Next")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}}}""", "state 'A': it has both Next and End")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}""", "state 'A': Resource is missing")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:x", "End": true}}}""", "state 'A': Resource 'arn:aws:lambda:x' is not of the form")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${GhostFunctionArn}", "End": true}}}""", "state 'A': Resource '${GhostFunctionArn}' names no registered task handler 'Ghost'")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "order.id", "End": true}}}""", "state 'A': InputPath: the path 'order.id' does not start with '$'")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "OutputPath": "$.items[*]", "End": true}}}""", "state 'A': OutputPath: the path '$.items[*]'")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "ResultPath": "$$.Execution", "End": true}}}""", "state 'A': ResultPath: the path '$$.Execution' may not refer to the context object")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "States.Eval('1')"}, "End": true}}}""", "state 'A': Parameters: 'States.Eval' is not an intrinsic function")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": 5}, "End": true}}}""", "state 'A': Parameters: the field 'x.$' must hold a path")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Map", "End": true}}}""", "state 'A': the state type Map is not supported by the embedded runner")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Teleport", "End": true}}}""", "state 'A': 'Teleport' is not a state type")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"End": true}}}""", "state 'A': Type is missing")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Nxt": "B"}}}""", "state 'A': a Pass state has no field 'Nxt'")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}}""", "state 'B': no path from StartAt reaches it")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}""", "no state ends the execution")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "B"}], "Default": "Done"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Pass", "Next": "B"}, "Done": {"Type": "Succeed"}}}""", "state 'B': no path from it reaches a state that ends the execution")]
    [InlineData("""{"StartAt": "Z", "States": {"A": {"Type": "Succeed"}}}""", "StartAt names 'Z', which is not a state")]
    [InlineData("""{"States": {"A": {"Type": "Succeed"}}}""", "StartAt is missing")]
    [InlineData("""{"StartAt": "A", "States": {}}""", "States is missing or has no state")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true}]}}}""", "state 'A': Choices[0]: Next must be a state name")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": []}}}""", "state 'A': Choices must be a non-empty array")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}}}""", "state 'A': it needs exactly one of Seconds")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": -1, "End": true}}}""", "state 'A': Seconds must be a whole number")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Wait", "Timestamp": "tomorrow", "End": true}}}""", "state 'A': Timestamp must be an RFC 3339 timestamp")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${EchoFunctionArn}", "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}], "End": true}}}""", "state 'A': Retry[0]: States.ALL must be alone")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${EchoFunctionArn}", "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}], "End": true}}}""", "state 'A': Retry[0].BackoffRate must be a number of at least 1.0")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${EchoFunctionArn}", "Catch": [{"ErrorEquals": ["X"]}], "End": true}}}""", "state 'A': Catch[0].Next is missing")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "${EchoFunctionArn}", "TimeoutSeconds": 0, "End": true}}}""", "state 'A': TimeoutSeconds must be a whole number of at least 1")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}}}""", "state 'A': it has both Error and ErrorPath")]
    [InlineData("""{"StartAt": "A", "States": {"A": {"Type": "Succeed", "Next": "A"}}}""", "state 'A': a Succeed state has no field 'Next'")]
    [InlineData("""{"StartAt": "A", "QueryLanguage": "JSONata", "States": {"A": {"Type": "Succeed"}}}""", "QueryLanguage must be JSONPath")]
    [InlineData("""{"StartAt": "A", "Extra": 1, "States": {"A": {"Type": "Succeed"}}}""", "the top level has a field 'Extra'")]
    [InlineData("""[1, 2]""", "the definition is not a JSON object")]
    [InlineData("""{"StartAt": "A", """, "the definition is not valid JSON")]
    public void MalformedDefinitionIsRefusedNamingTheProblem(string definition, string problem)
    {
        var error = Assert.Throws<WorkflowDefinitionException>(() => DefinitionParser.Parse(definition, "test.asl.json", Handlers));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        var error = Assert.Throws<WorkflowDefinitionException>(() => DefinitionParser.Parse("""
            {"StartAt": "A", "States": {
              "A": {"Type": "Task", "Resource": "${NopeFunctionArn}", "Next": "B"},
              "B": {"Type": "Pass", "InputPath": "x", "Next": "Missing"}
            }}
            """, "test.asl.json", Handlers));

        Assert.Contains(error.Problems, p => p.StartsWith("state 'A':", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("state 'B':", StringComparison.Ordinal));
    }

    [Fact]
    public void HostileDefinitionsAreRefusedWithoutRunningAway()
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        var huge = "{\"StartAt\": \"A\", \"Comment\": \"" + new string('x', 1_100_000) + "\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}";
        var nestedRule = string.Concat(Enumerable.Repeat("""{"Not": """, 40)) + """{"Variable": "$.x", "IsPresent": true}""" + new string('}', 40);

        Assert.Contains("not valid JSON", Assert.Throws<WorkflowDefinitionException>(() => DefinitionParser.Parse(deep, "deep", Handlers)).Message, StringComparison.Ordinal);
        Assert.Contains("larger than", Assert.Throws<WorkflowDefinitionException>(() => DefinitionParser.Parse(huge, "huge", Handlers)).Message, StringComparison.Ordinal);
        var rule = "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Choice\", \"Choices\": [" + nestedRule[..^1] + ", \"Next\": \"B\"}]}, \"B\": {\"Type\": \"Succeed\"}}}";
        Assert.Contains("state 'A'", Assert.Throws<WorkflowDefinitionException>(() => DefinitionParser.Parse(rule, "nested", Handlers)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALoopThroughAWaitWithAnExitIsValid()
    {
        var definition = DefinitionParser.Parse("""
            {"StartAt": "Poll", "States": {
              "Poll": {"Type": "Task", "Resource": "${EchoFunctionArn}", "Next": "Done?"},
              "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "Finished"}], "Default": "Later"},
              "Later": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
              "Finished": {"Type": "Succeed"}
            }}
            """, "poll.asl.json", Handlers);

        Assert.Equal(4, definition.States.Count);
        Assert.Same(Handlers["Echo"], definition.States["Poll"].Handler);
    }

    [Fact]
    public async Task HostRefusesToStartWithABadDefinitionNamingTheState()
    {
        await using var host = WorkflowTestHost.Create(_data.Path, """
            {"StartAt": "Detect", "States": {"Detect": {"Type": "Task", "Resource": "${DetectFunctionArn}", "End": true}}}
            """);

        var error = await Assert.ThrowsAsync<WorkflowDefinitionException>(host.StartAsync);

        Assert.Contains("state 'Detect'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Detect'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostRefusesToStartWithBadOptions()
    {
        await using var host = WorkflowTestHost.Create(_data.Path, """{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}""",
            settings: new Dictionary<string, string?> { ["CustomLabels:Workflow:MaxConcurrentExecutions"] = "0" });

        var error = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(host.StartAsync);

        Assert.Contains("MaxConcurrentExecutions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostRefusesToStartWhenTheDefinitionFileIsMissing()
    {
        var missing = _data.Combine("nowhere", "statemachine.asl.json");
        await using var host = WorkflowTestHost.Create(_data.Path, "{}", settings: new Dictionary<string, string?> { ["CustomLabels:Workflow:DefinitionPath"] = missing });

        var error = await Assert.ThrowsAsync<WorkflowDefinitionException>(host.StartAsync);

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }
}
