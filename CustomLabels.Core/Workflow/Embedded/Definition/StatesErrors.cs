namespace CustomLabels.Core.Workflow.Embedded.Definition;

/// <summary>The predefined error names of Amazon States Language.</summary>
internal static class StatesErrors
{
    /// <summary>Matches every error (except <see cref="Runtime"/>).</summary>
    public const string All = "States.ALL";

    /// <summary>Matches every task error except <see cref="Timeout"/>.</summary>
    public const string TaskFailed = "States.TaskFailed";

    /// <summary>A task ran longer than its TimeoutSeconds.</summary>
    public const string Timeout = "States.Timeout";

    /// <summary>A path, template or intrinsic function could not be applied; never caught or retried.</summary>
    public const string Runtime = "States.Runtime";

    /// <summary>No Choice rule matched and there is no Default.</summary>
    public const string NoChoiceMatched = "States.NoChoiceMatched";

    /// <summary>An intrinsic function failed.</summary>
    public const string IntrinsicFailure = "States.IntrinsicFailure";

    /// <summary>Whether an ErrorEquals name catches an error.</summary>
    public static bool Matches(string pattern, string error) => pattern switch
    {
        _ when error == Runtime => false,
        All => true,
        TaskFailed => error != Timeout && !error.StartsWith("States.", StringComparison.Ordinal),
        _ => string.Equals(pattern, error, StringComparison.Ordinal),
    };
}

/// <summary>An error raised while running a state, with its Amazon States Language name and cause.</summary>
internal sealed class StatesErrorException(string error, string cause, Exception? inner = null) : Exception(cause, inner)
{
    /// <summary>The error name, e.g. <c>States.Runtime</c>.</summary>
    public string Error { get; } = error;
}
