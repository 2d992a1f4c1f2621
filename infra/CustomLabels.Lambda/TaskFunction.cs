using System.Text.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;

namespace CustomLabels.Lambda;

/// <summary>
/// Runs one workflow task handler on a Lambda payload: the state's effective input as JSON in, the handler's
/// result as JSON out. A payload may carry the execution's context as
/// <c>{"input": …, "context": {"executionId": …, "stateName": …, "attempt": …}}</c> (from <c>$$.Execution.Id</c>,
/// <c>$$.State.Name</c>, <c>$$.State.RetryCount</c>); without it the Lambda request id stands in for the execution.
/// </summary>
public static class TaskFunction
{
    /// <summary>The envelope member that carries the context.</summary>
    public const string ContextMember = "context";

    /// <summary>Invokes the handler named <paramref name="handlerName"/> and writes its result to <paramref name="output"/>.</summary>
    /// <exception cref="TaskFunctionException">The handler failed; its error name is the Lambda error type.</exception>
    public static async Task InvokeAsync(
        IEnumerable<ITaskHandler> handlers,
        string handlerName,
        Stream input,
        Stream output,
        string requestId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentNullException.ThrowIfNull(output);
        var handler = handlers.FirstOrDefault(h => h.Name == handlerName)
                      ?? throw new TaskFunctionException("CustomLabels.UnknownHandler", $"No task handler is named '{handlerName}'.");
        JsonNode? payload;
        try
        {
            payload = await JsonNode.ParseAsync(input, cancellationToken: cancellationToken);
        }
        catch (JsonException exception)
        {
            throw new TaskFunctionException("CustomLabels.InvalidInput", $"The task input is not JSON: {exception.Message}", exception);
        }

        var (state, context) = Unwrap(payload, handlerName, requestId);
        JsonNode? result;
        try
        {
            result = await handler.InvokeAsync(state, context, cancellationToken);
        }
        catch (WorkflowTaskException exception)
        {
            throw new TaskFunctionException(exception.Error, exception.Message, exception);
        }
#pragma warning disable CA1031 // Every failure must reach Step Functions as an error type that Retry and Catch can match.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            throw new TaskFunctionException(exception.GetType().Name, exception.Message, exception);
        }

        await using var writer = new Utf8JsonWriter(output);
        if (result is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            result.WriteTo(writer);
        }
    }

    /// <summary>
    /// The starter function: starts (or joins) the execution for an EventBridge S3 event under the name the
    /// dashboard uses, and writes the execution's summary.
    /// </summary>
    public static async Task StartExecutionAsync(IWorkflowService workflow, Stream input, Stream output, CancellationToken cancellationToken)
    {
        JsonNode? payload;
        ExecutionSummary execution;
        try
        {
            payload = await JsonNode.ParseAsync(input, cancellationToken: cancellationToken);
            execution = await ObjectCreatedExecutions.StartAsync(workflow, payload, cancellationToken);
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException)
        {
            throw new TaskFunctionException("CustomLabels.InvalidInput", exception.Message, exception);
        }

        await JsonSerializer.SerializeAsync(output, execution, cancellationToken: cancellationToken);
    }

    private static (JsonNode? State, TaskContext Context) Unwrap(JsonNode? payload, string handlerName, string requestId)
    {
        if (payload is JsonObject envelope && envelope[ContextMember] is JsonObject context && envelope.ContainsKey("input") && envelope.Count == 2)
        {
            return (
                envelope["input"]?.DeepClone(),
                new TaskContext(
                    context["executionId"]?.GetValue<string>() ?? requestId,
                    context["stateName"]?.GetValue<string>() ?? handlerName,
                    (context["attempt"]?.GetValue<int>() ?? 0) + 1));
        }

        return (payload, new TaskContext(requestId, handlerName, 1));
    }
}

/// <summary>A task failure, with the error type that Lambda reports to Step Functions.</summary>
public sealed class TaskFunctionException(string errorType, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The Lambda error type: Step Functions matches Retry and Catch on it.</summary>
    public string ErrorType { get; } = errorType;
}
