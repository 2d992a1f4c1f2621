namespace CustomLabels.Core.Workflow;

/// <summary>An execution with this name already exists with a different input (Step Functions' ExecutionAlreadyExists). HTTP 409.</summary>
public sealed class ExecutionAlreadyExistsException(string name, Exception? inner = null)
    : ConflictException($"An execution named '{name}' already exists with a different input.", inner)
{
    /// <summary>The execution's name.</summary>
    public string Name { get; } = name;
}

/// <summary>No execution has this id (Step Functions' ExecutionDoesNotExist). HTTP 404.</summary>
public sealed class ExecutionDoesNotExistException(string executionId, Exception? inner = null)
    : NotFoundException($"No execution has the id '{executionId}'.", inner)
{
    /// <summary>The id asked for.</summary>
    public string ExecutionId { get; } = executionId;
}

/// <summary>The workflow definition is not valid; the message names each state at fault. The process refuses to start.</summary>
public sealed class WorkflowDefinitionException(string source, IReadOnlyList<string> problems)
    : Exception($"The workflow definition '{source}' is not valid:{Environment.NewLine}{string.Join(Environment.NewLine, problems.Select(p => " - " + p))}")
{
    /// <summary>Each problem, naming its state.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
