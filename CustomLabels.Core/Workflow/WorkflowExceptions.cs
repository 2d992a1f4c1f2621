namespace CustomLabels.Core.Workflow;

/// <summary>An execution with this name already exists with a different input (Step Functions' ExecutionAlreadyExists). HTTP 409.</summary>
public sealed class ExecutionAlreadyExistsException(string name)
    : InvalidOperationException($"An execution named '{name}' already exists with a different input.")
{
    /// <summary>The execution's name.</summary>
    public string Name { get; } = name;
}

/// <summary>No execution has this id (Step Functions' ExecutionDoesNotExist). HTTP 404.</summary>
public sealed class ExecutionDoesNotExistException(string executionId)
    : KeyNotFoundException($"No execution has the id '{executionId}'.")
{
    /// <summary>The id asked for.</summary>
    public string ExecutionId { get; } = executionId;
}
