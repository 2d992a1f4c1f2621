using System.Text.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;
using Microsoft.Extensions.Logging;

namespace CustomLabels.Lambda;

/// <summary>
/// Runs one workflow task handler on a Lambda payload: the state's effective input as JSON in, the handler's
/// result as JSON out. Every Task state of the definition sends a <see cref="TaskEnvelope"/>, which carries the
/// execution id, state name and retry count that Step Functions does not pass to a Lambda function by itself. A
/// payload without the envelope (a direct invocation) runs with the Lambda request id as its execution, with a warning.
/// </summary>
public static partial class TaskFunction
{
    /// <summary>Invokes the handler named <paramref name="handlerName"/> and writes its result to <paramref name="output"/>.</summary>
    /// <exception cref="TaskFunctionException">The handler failed; its error name is the Lambda error type.</exception>
    public static async Task InvokeAsync(
        IEnumerable<ITaskHandler> handlers,
        string handlerName,
        Stream input,
        Stream output,
        string requestId,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(logger);
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

        JsonNode? result;
        try
        {
            var (state, carried) = TaskEnvelope.Unwrap(payload);
            if (carried is null)
            {
                LogNoContext(logger, handlerName, requestId);
            }

            result = await handler.InvokeAsync(state, carried ?? new TaskContext(requestId, handlerName, 1), cancellationToken);
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

    [LoggerMessage(EventId = 9201, Level = LogLevel.Warning, Message = "The input of {Handler} (request {RequestId}) has no task context: the request id stands in for the execution")]
    private static partial void LogNoContext(ILogger logger, string handler, string requestId);
}

/// <summary>A task failure, with the error type that Lambda reports to Step Functions.</summary>
public sealed class TaskFunctionException(string errorType, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The Lambda error type: Step Functions matches Retry and Catch on it.</summary>
    public string ErrorType { get; } = errorType;
}
