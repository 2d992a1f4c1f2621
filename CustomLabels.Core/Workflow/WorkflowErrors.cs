namespace CustomLabels.Core.Workflow;

/// <summary>
/// The error names that task handlers fail with (<see cref="WorkflowTaskException.Error"/>), matched by the Retry
/// and Catch rules of <c>infra/statemachine.asl.json</c> and mapped to HTTP statuses by the API.
/// </summary>
public static class WorkflowErrors
{
    /// <summary>A failure that may pass: a busy database, an I/O or network error. Retried.</summary>
    public const string Transient = "CustomLabels.Transient";

    /// <summary>No version is running, or the one in the system state is not (HTTP 503).</summary>
    public const string NoRunningModel = "CustomLabels.NoRunningModel";

    /// <summary>The image is not one the model can read (HTTP 415).</summary>
    public const string InvalidImage = "CustomLabels.InvalidImage";

    /// <summary>The image is too large (HTTP 413).</summary>
    public const string ImageTooLarge = "CustomLabels.ImageTooLarge";

    /// <summary>The step's input or an object it reads is malformed (HTTP 400).</summary>
    public const string InvalidInput = "CustomLabels.InvalidInput";

    /// <summary>An object the step needs does not exist (HTTP 404).</summary>
    public const string ObjectNotFound = "CustomLabels.ObjectNotFound";

    /// <summary>A version did not reach the status the step needs (training failed, a start failed).</summary>
    public const string VersionFailed = "CustomLabels.VersionFailed";
}
