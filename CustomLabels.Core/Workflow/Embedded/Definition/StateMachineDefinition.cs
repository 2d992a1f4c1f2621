using System.Text.Json.Nodes;

namespace CustomLabels.Core.Workflow.Embedded.Definition;

/// <summary>The kinds of state the embedded runner interprets.</summary>
internal enum StateType
{
    Pass,
    Task,
    Choice,
    Wait,
    Succeed,
    Fail,
}

/// <summary>A parsed, validated state machine: every Next names a state and every Task is bound to its handler.</summary>
internal sealed class StateMachineDefinition(string startAt, IReadOnlyDictionary<string, State> states, int? timeoutSeconds)
{
    /// <summary>The first state.</summary>
    public string StartAt { get; } = startAt;

    /// <summary>The states by name.</summary>
    public IReadOnlyDictionary<string, State> States { get; } = states;

    /// <summary>The execution's time limit, if any.</summary>
    public int? TimeoutSeconds { get; } = timeoutSeconds;
}

/// <summary>
/// One state. Paths hold null where the definition gave JSON null (discard), and <see cref="JsonPath.Root"/>
/// where it gave nothing.
/// </summary>
internal sealed class State
{
    public required string Name { get; init; }

    public required StateType Type { get; init; }

    /// <summary>The next state; null when the state ends the execution or is a Choice, Succeed or Fail.</summary>
    public string? Next { get; init; }

    public JsonPath? InputPath { get; init; } = JsonPath.Root;

    public JsonPath? OutputPath { get; init; } = JsonPath.Root;

    public JsonPath? ResultPath { get; init; } = JsonPath.Root;

    public PayloadTemplate? Parameters { get; init; }

    public PayloadTemplate? ResultSelector { get; init; }

    /// <summary>A Pass state's Result, when it has one.</summary>
    public JsonNode? Result { get; init; }

    public bool HasResult { get; init; }

    /// <summary>A Task state's handler.</summary>
    public ITaskHandler? Handler { get; init; }

    public int? TimeoutSeconds { get; init; }

    public IReadOnlyList<Retrier> Retry { get; init; } = [];

    public IReadOnlyList<Catcher> Catch { get; init; } = [];

    public IReadOnlyList<(ChoiceRule Rule, string Next)> Choices { get; init; } = [];

    public string? Default { get; init; }

    public double? Seconds { get; init; }

    public JsonPath? SecondsPath { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    public JsonPath? TimestampPath { get; init; }

    public string? Error { get; init; }

    public string? Cause { get; init; }

    public JsonPath? ErrorPath { get; init; }

    public JsonPath? CausePath { get; init; }

    /// <summary>The states this one may move to.</summary>
    public IEnumerable<string> Successors =>
        new[] { Next, Default }.OfType<string>().Concat(Choices.Select(c => c.Next)).Concat(Catch.Select(c => c.Next));

    /// <summary>Whether the execution may end in this state.</summary>
    public bool IsTerminal => Type is StateType.Succeed or StateType.Fail || (Next is null && Type is not StateType.Choice);
}

/// <summary>One Retry entry.</summary>
internal sealed record Retrier(IReadOnlyList<string> ErrorEquals, double IntervalSeconds, int MaxAttempts, double BackoffRate, double? MaxDelaySeconds, bool FullJitter)
{
    /// <summary>The delay before retry number <paramref name="retry"/> (1 for the first).</summary>
    public TimeSpan DelayBefore(int retry)
    {
        var seconds = IntervalSeconds * Math.Pow(BackoffRate, retry - 1);
        if (MaxDelaySeconds is { } max)
        {
            seconds = Math.Min(seconds, max);
        }

        if (FullJitter)
        {
#pragma warning disable CA5394 // Jitter spreads retries; it is not a security measure.
            seconds *= Random.Shared.NextDouble();
#pragma warning restore CA5394
        }

        return TimeSpan.FromSeconds(seconds);
    }
}

/// <summary>One Catch entry.</summary>
internal sealed record Catcher(IReadOnlyList<string> ErrorEquals, string Next, JsonPath? ResultPath);
