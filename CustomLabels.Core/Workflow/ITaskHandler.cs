using System.Text.Json.Nodes;

namespace CustomLabels.Core.Workflow;

/// <summary>
/// One step of the workflow, bound by name to the Task states of <c>infra/statemachine.asl.json</c> whose
/// <c>Resource</c> is <c>${&lt;Name&gt;FunctionArn}</c>. The embedded runner calls it in process; in AWS, the
/// Lambda function of the same name calls the same handler. A handler is idempotent: the runner may call it
/// again after a crash for a step whose completion was not recorded.
/// </summary>
public interface ITaskHandler
{
    /// <summary>The handler's name, e.g. <c>CheckTraining</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Runs the step on its input and returns its result (JSON). The input is the <c>input</c> of the state's
    /// <see cref="TaskEnvelope"/> and <paramref name="context"/> its <c>context</c>, unwrapped by the caller.
    /// </summary>
    /// <exception cref="WorkflowTaskException">A failure with an error name that Retry and Catch can match.</exception>
    Task<JsonNode?> InvokeAsync(JsonNode? input, TaskContext context, CancellationToken cancellationToken);
}

/// <summary>Where a task runs: its execution, state and attempt.</summary>
/// <param name="ExecutionId">The execution's id.</param>
/// <param name="StateName">The Task state's name.</param>
/// <param name="Attempt">1 for the first try, 2 for the first retry, ...</param>
public sealed record TaskContext(string ExecutionId, string StateName, int Attempt);

/// <summary>
/// A task failure with an error name for Retry and Catch (as a Lambda's error type). Any other exception fails the
/// task with the exception's type name as the error.
/// </summary>
public class WorkflowTaskException(string error, string cause, Exception? inner = null) : Exception(cause, inner)
{
    /// <summary>The error name, e.g. <c>CustomLabels.NoRunningModel</c>.</summary>
    public string Error { get; } = error;
}
