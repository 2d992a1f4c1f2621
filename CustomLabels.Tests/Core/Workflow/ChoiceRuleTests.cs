using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow.Embedded.Definition;

namespace CustomLabels.Tests.Core.Workflow;

public sealed class ChoiceRuleTests
{
    private const string Input = """
        {
          "s": "beta", "other": "alpha", "n": 5, "m": 7.5, "b": true, "f": false, "nothing": null,
          "t": "2024-05-01T10:00:00Z", "later": "2024-05-01T12:00:00+01:00", "file": "images/cat.jpg", "star": "a*b"
        }
        """;

    [Theory]
    [InlineData("""{"Variable": "$.s", "StringEquals": "beta"}""", true)]
    [InlineData("""{"Variable": "$.s", "StringEquals": "Beta"}""", false)]
    [InlineData("""{"Variable": "$.s", "StringLessThan": "gamma"}""", true)]
    [InlineData("""{"Variable": "$.s", "StringGreaterThan": "gamma"}""", false)]
    [InlineData("""{"Variable": "$.s", "StringLessThanEquals": "beta"}""", true)]
    [InlineData("""{"Variable": "$.s", "StringGreaterThanEquals": "beta"}""", true)]
    [InlineData("""{"Variable": "$.s", "StringEqualsPath": "$.other"}""", false)]
    [InlineData("""{"Variable": "$.s", "StringGreaterThanPath": "$.other"}""", true)]
    [InlineData("""{"Variable": "$.s", "StringLessThanPath": "$.other"}""", false)]
    [InlineData("""{"Variable": "$.s", "StringLessThanEqualsPath": "$.s"}""", true)]
    [InlineData("""{"Variable": "$.s", "StringGreaterThanEqualsPath": "$.other"}""", true)]
    [InlineData("""{"Variable": "$.file", "StringMatches": "images/*.jpg"}""", true)]
    [InlineData("""{"Variable": "$.file", "StringMatches": "*.png"}""", false)]
    [InlineData("""{"Variable": "$.star", "StringMatches": "a\\*b"}""", true)]
    [InlineData("""{"Variable": "$.file", "StringMatches": "images/\\*.jpg"}""", false)]
    [InlineData("""{"Variable": "$.n", "StringEquals": "5"}""", false)]
    [InlineData("""{"Variable": "$.n", "NumericEquals": 5}""", true)]
    [InlineData("""{"Variable": "$.n", "NumericLessThan": 5}""", false)]
    [InlineData("""{"Variable": "$.n", "NumericGreaterThan": 4.5}""", true)]
    [InlineData("""{"Variable": "$.n", "NumericLessThanEquals": 5}""", true)]
    [InlineData("""{"Variable": "$.n", "NumericGreaterThanEquals": 6}""", false)]
    [InlineData("""{"Variable": "$.n", "NumericEqualsPath": "$.m"}""", false)]
    [InlineData("""{"Variable": "$.n", "NumericLessThanPath": "$.m"}""", true)]
    [InlineData("""{"Variable": "$.n", "NumericGreaterThanPath": "$.m"}""", false)]
    [InlineData("""{"Variable": "$.m", "NumericLessThanEqualsPath": "$.m"}""", true)]
    [InlineData("""{"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m"}""", false)]
    [InlineData("""{"Variable": "$.s", "NumericEquals": 5}""", false)]
    [InlineData("""{"Variable": "$.b", "BooleanEquals": true}""", true)]
    [InlineData("""{"Variable": "$.f", "BooleanEquals": true}""", false)]
    [InlineData("""{"Variable": "$.b", "BooleanEqualsPath": "$.f"}""", false)]
    [InlineData("""{"Variable": "$.t", "TimestampEquals": "2024-05-01T10:00:00Z"}""", true)]
    [InlineData("""{"Variable": "$.t", "TimestampLessThan": "2024-05-01T11:00:00Z"}""", true)]
    [InlineData("""{"Variable": "$.t", "TimestampGreaterThan": "2024-05-01T11:00:00Z"}""", false)]
    [InlineData("""{"Variable": "$.t", "TimestampLessThanEquals": "2024-05-01T10:00:00Z"}""", true)]
    [InlineData("""{"Variable": "$.t", "TimestampGreaterThanEquals": "2024-05-01T10:00:01Z"}""", false)]
    [InlineData("""{"Variable": "$.t", "TimestampEqualsPath": "$.later"}""", false)]
    [InlineData("""{"Variable": "$.t", "TimestampLessThanPath": "$.later"}""", true)]
    [InlineData("""{"Variable": "$.later", "TimestampGreaterThanPath": "$.t"}""", true)]
    [InlineData("""{"Variable": "$.t", "TimestampLessThanEqualsPath": "$.t"}""", true)]
    [InlineData("""{"Variable": "$.t", "TimestampGreaterThanEqualsPath": "$.later"}""", false)]
    [InlineData("""{"Variable": "$.absent", "IsPresent": true}""", false)]
    [InlineData("""{"Variable": "$.nothing", "IsPresent": true}""", true)]
    [InlineData("""{"Variable": "$.nothing", "IsNull": true}""", true)]
    [InlineData("""{"Variable": "$.s", "IsNull": false}""", true)]
    [InlineData("""{"Variable": "$.s", "IsString": true}""", true)]
    [InlineData("""{"Variable": "$.n", "IsString": true}""", false)]
    [InlineData("""{"Variable": "$.m", "IsNumeric": true}""", true)]
    [InlineData("""{"Variable": "$.b", "IsBoolean": true}""", true)]
    [InlineData("""{"Variable": "$.t", "IsTimestamp": true}""", true)]
    [InlineData("""{"Variable": "$.s", "IsTimestamp": true}""", false)]
    [InlineData("""{"Variable": "$.absent", "IsString": false}""", true)]
    [InlineData("""{"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.b", "BooleanEquals": true}]}""", true)]
    [InlineData("""{"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.f", "BooleanEquals": true}]}""", false)]
    [InlineData("""{"Or": [{"Variable": "$.n", "NumericEquals": 6}, {"Variable": "$.b", "BooleanEquals": true}]}""", true)]
    [InlineData("""{"Or": [{"Variable": "$.n", "NumericEquals": 6}, {"Variable": "$.f", "BooleanEquals": true}]}""", false)]
    [InlineData("""{"Not": {"Variable": "$.s", "StringEquals": "beta"}}""", false)]
    [InlineData("""{"Not": {"Or": [{"Variable": "$.absent", "IsPresent": true}, {"Variable": "$.n", "NumericLessThan": 0}]}}""", true)]
    [InlineData("""{"Variable": "$$.Execution.Name", "StringEquals": "run-1"}""", true)]
    public void RuleHoldsOrNot(string rule, bool expected)
    {
        var parsed = ChoiceRule.Parse((JsonObject)JsonNode.Parse(rule)!, topLevel: false);
        var context = JsonNode.Parse("""{"Execution": {"Name": "run-1"}}""");

        Assert.Equal(expected, parsed.Evaluate(JsonNode.Parse(Input), context));
    }

    [Fact]
    public void ComparingAVariableThatIsAbsentIsARuntimeError()
    {
        var rule = ChoiceRule.Parse((JsonObject)JsonNode.Parse("""{"Variable": "$.absent", "StringEquals": "x"}""")!, topLevel: false);

        var error = Assert.Throws<StatesErrorException>(() => rule.Evaluate(JsonNode.Parse(Input), null));

        Assert.Equal("States.Runtime", error.Error);
    }

    [Theory]
    [InlineData("""{"Variable": "$.s"}""", "no comparison operator")]
    [InlineData("""{"Variable": "$.s", "StringEquals": "a", "NumericEquals": 1}""", "more than one operator")]
    [InlineData("""{"Variable": "$.s", "StringEqualTo": "a"}""", "is not a comparison operator")]
    [InlineData("""{"StringEquals": "a"}""", "has no Variable")]
    [InlineData("""{"Variable": "$.s", "NumericEquals": "5"}""", "must be a number")]
    [InlineData("""{"Variable": "$.s", "TimestampEquals": "yesterday"}""", "RFC 3339")]
    [InlineData("""{"Variable": "$.s", "IsNull": "yes"}""", "true or false")]
    [InlineData("""{"And": []}""", "non-empty array")]
    [InlineData("""{"Variable": "$..s", "StringEquals": "a"}""", "empty step")]
    [InlineData("""{"Variable": "$.s[?(@.x)]", "StringEquals": "a"}""", "filters")]
    [InlineData("""{"Variable": "$.s", "StringEquals": "a", "Next": "X"}""", "may not have Next")]
    public void MalformedRuleIsRefusedWithTheReason(string rule, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ChoiceRule.Parse((JsonObject)JsonNode.Parse(rule)!, topLevel: false));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StringMatchesOnHostilePatternsStaysLinear()
    {
        // A pattern that makes a backtracking matcher explode must be answered promptly by the greedy matcher.
        var text = new string('a', 20_000);
        var pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "b";

        Assert.False(ChoiceRule.Glob(text, pattern));
        Assert.True(ChoiceRule.Glob(text + "b", pattern));
    }
}
