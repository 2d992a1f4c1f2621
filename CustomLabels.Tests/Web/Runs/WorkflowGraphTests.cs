using CustomLabels.Core.Workflow;
using CustomLabels.Web.Components.Pages.Runs;

namespace CustomLabels.Tests.Web.Runs;

public sealed class WorkflowGraphTests
{
    private const string Definition = """
        {
          "StartAt": "Route",
          "States": {
            "Route": { "Type": "Choice", "Choices": [ { "Variable": "$.a", "IsPresent": true, "Next": "Detect" } ], "Default": "Unknown" },
            "Detect": { "Type": "Task", "Resource": "${DetectFunctionArn}", "Next": "Poll", "Catch": [ { "ErrorEquals": ["States.ALL"], "Next": "Failed" } ] },
            "Poll": { "Type": "Wait", "Seconds": 5, "Next": "Done?" },
            "Done?": { "Type": "Choice", "Choices": [ { "Variable": "$.done", "BooleanEquals": false, "Next": "Poll" } ], "Default": "Succeeded" },
            "Succeeded": { "Type": "Succeed" },
            "Failed": { "Type": "Fail" },
            "Unknown": { "Type": "Pass", "End": true }
          }
        }
        """;

    [Fact]
    public void StatesAreLaidOutInLayersByDistanceFromStartAt()
    {
        var graph = WorkflowGraph.Parse(Definition);

        Assert.Equal(7, graph.Nodes.Count);
        Assert.Equal(0, graph.ByName["Route"].Layer);
        Assert.Equal(1, graph.ByName["Detect"].Layer);
        Assert.Equal(1, graph.ByName["Unknown"].Layer);
        Assert.Equal(2, graph.ByName["Poll"].Layer);
        Assert.Equal(2, graph.ByName["Failed"].Layer);
        Assert.NotEqual(graph.ByName["Detect"].X, graph.ByName["Unknown"].X);
    }

    [Fact]
    public void NextChoicesDefaultsAndCatchersBecomeEdges()
    {
        var graph = WorkflowGraph.Parse(Definition);

        Assert.Contains(new GraphEdge("Route", "Detect", "choice"), graph.Edges);
        Assert.Contains(new GraphEdge("Route", "Unknown", "default"), graph.Edges);
        Assert.Contains(new GraphEdge("Detect", "Failed", "catch"), graph.Edges);
        Assert.Contains(new GraphEdge("Done?", "Poll", "choice"), graph.Edges);
    }

    [Fact]
    public void PathFollowsTheStatesEnteredInTheHistory()
    {
        var at = DateTimeOffset.UnixEpoch;
        HistoryEvent[] history =
        [
            new(1, 0, "ExecutionStarted", at),
            new(2, 1, "ChoiceStateEntered", at, "Route"),
            new(3, 2, "ChoiceStateExited", at, "Route"),
            new(4, 3, "TaskStateEntered", at, "Detect"),
            new(5, 4, "TaskSucceeded", at, "Detect"),
            new(6, 5, "WaitStateEntered", at, "Poll"),
            new(7, 6, "ChoiceStateEntered", at, "Done?"),
            new(8, 7, "WaitStateEntered", at, "Poll"),
        ];

        var path = WorkflowGraph.PathOf(history);
        var steps = WorkflowGraph.StepsOf(path);

        Assert.Equal(["Route", "Detect", "Poll", "Done?", "Poll"], path);
        Assert.Contains(("Done?", "Poll"), steps);
        Assert.DoesNotContain(("Route", "Unknown"), steps);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{ "StartAt": "Missing", "States": { "A": { "Type": "Succeed" } } }""")]
    public void ADefinitionThatIsNotStatesLanguageIsRefusedWithAReason(string text)
    {
        var error = Assert.Throws<FormatException>(() => WorkflowGraph.Parse(text));
        Assert.Contains("workflow definition", error.Message, StringComparison.Ordinal);
    }
}
