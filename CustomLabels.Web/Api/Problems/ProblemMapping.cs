using CustomLabels.Core;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;

namespace CustomLabels.Web.Api.Problems;

/// <summary>A problem as the API writes it: its status, title, detail and any more members.</summary>
internal sealed record Problem(int Status, string Title, string Detail, IReadOnlyDictionary<string, object?> Extensions)
{
    /// <summary>A 5xx other than 503 is the server's fault: it is logged.</summary>
    public bool IsUnexpected => Status >= StatusCodes.Status500InternalServerError && Status != StatusCodes.Status503ServiceUnavailable;
}

/// <summary>
/// The one table from exception to problem: Core's exception types (which both backends throw alike) to 400 bad
/// input, 404, 409, 413 too large, 415 not an image, 503 no running model and 504 a run that did not end; anything
/// else is a 500 that says nothing internal. Every endpoint's failures go through it (<see cref="ApiExceptionHandler"/>).
/// </summary>
internal static class ProblemMapping
{
    private static readonly IReadOnlyDictionary<string, object?> None = new Dictionary<string, object?>();

    public static Problem For(Exception exception) => exception switch
    {
        ApiProblemException e => new(e.StatusCode, e.Title, e.Message, e.Extensions),
        DetectionRunException e => ForRun(e),
        BadHttpRequestException e => Simple(e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Too large" : "The request is not valid", e),
        ImageTooLargeException e => Simple(StatusCodes.Status413PayloadTooLarge, "Image too large", e),
        InvalidImageException e => Simple(StatusCodes.Status415UnsupportedMediaType, "Not an image", e),
        UnknownParameterException e => Simple(StatusCodes.Status400BadRequest, "Unknown parameter", e),
        ParameterValidationException e => Simple(StatusCodes.Status400BadRequest, "Value out of range", e),
        InvalidObjectKeyException e => Simple(StatusCodes.Status400BadRequest, "Invalid name", e),
        Core.Data.InvalidPageTokenException e => Simple(StatusCodes.Status400BadRequest, "Invalid token", e),
        InvalidRequestException e => Simple(StatusCodes.Status400BadRequest, "The request is not valid", e),
        NotFoundException e => Simple(StatusCodes.Status404NotFound, "Not found", e),
        ConflictException e => Simple(StatusCodes.Status409Conflict, "Conflict", e),
        ModelNotRunningException e => Simple(StatusCodes.Status503ServiceUnavailable, "No running model", e),
        TimeoutException e => Simple(StatusCodes.Status504GatewayTimeout, "Still running", e),
        WorkflowTaskException e => Simple(StatusCodes.Status500InternalServerError, "The run failed", e),
        _ => new(StatusCodes.Status500InternalServerError, "Unexpected error", "The server failed to handle the request; its log has the details.", None),
    };

    // The run's own status comes from why it failed; the detail and the run's whereabouts from the run.
    private static Problem ForRun(DetectionRunException e) =>
        (e.InnerException is { } reason ? For(reason) : Simple(StatusCodes.Status500InternalServerError, "The run failed", e)) with
    {
        Detail = e.Message,
        Extensions = new Dictionary<string, object?> { ["executionId"] = e.ExecutionId, ["objectKey"] = e.ObjectKey },
    };

    private static Problem Simple(int status, string title, Exception e) => new(status, title, e.Message, None);
}
