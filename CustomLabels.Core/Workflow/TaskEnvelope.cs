using System.Text.Json;
using System.Text.Json.Nodes;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// The payload every Task state of <c>infra/statemachine.asl.json</c> sends its handler:
/// <c>{"input": …, "context": {"executionId": …, "stateName": …, "attempt": …}}</c>, built by the state's Parameters
/// from <c>$$.Execution.Id</c>, <c>$$.State.Name</c> and <c>$$.State.RetryCount</c>. A Lambda function invoked by
/// Step Functions receives nothing but its payload, so the definition carries the context itself; the embedded runner
/// and the Lambda entry point both unwrap it here into the handler's input and its <see cref="TaskContext"/>.
/// </summary>
public static class TaskEnvelope
{
    /// <summary>The member that holds the handler's input.</summary>
    public const string InputMember = "input";

    /// <summary>The member that holds the context.</summary>
    public const string ContextMember = "context";

    /// <summary>
    /// Splits an envelope into the handler's input and its context. A payload that is not an envelope (an object with
    /// exactly the members <c>input</c> and <c>context</c>, the latter an object) is returned as it is, with no context.
    /// </summary>
    /// <exception cref="WorkflowTaskException">
    /// <see cref="WorkflowErrors.InvalidInput"/>: the envelope's context lacks a non-empty <c>executionId</c> or
    /// <c>stateName</c>, or its <c>attempt</c> (the retry count) is not a whole number of at least 0.
    /// </exception>
    public static (JsonNode? Input, TaskContext? Context) Unwrap(JsonNode? payload)
    {
        if (payload is not JsonObject envelope || envelope.Count != 2 || !envelope.ContainsKey(InputMember)
            || envelope[ContextMember] is not JsonObject context)
        {
            return (payload, null);
        }

        var executionId = Text(context, "executionId");
        var stateName = Text(context, "stateName");
        var retryCount = context["attempt"] is JsonValue value && value.GetValueKind() == JsonValueKind.Number
                         && value.TryGetValue<int>(out var count) && count >= 0
            ? count
            : throw new WorkflowTaskException(WorkflowErrors.InvalidInput, "The task's context.attempt is not a retry count (a whole number of at least 0).");
        return (envelope[InputMember]?.DeepClone(), new TaskContext(executionId, stateName, retryCount + 1));
    }

    private static string Text(JsonObject context, string member) =>
        context[member] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new WorkflowTaskException(WorkflowErrors.InvalidInput, $"The task's context.{member} is not a non-empty string.");
}
