using CustomLabels.Core.Accounts;
using CustomLabels.Core.Data;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Problems;

/// <summary>
/// Turns Core's exceptions into RFC 7807 problem details with a status that fits: 400 bad input, 404, 409,
/// 413 too large, 415 not an image, 503 no running model; anything else is a 500 that says nothing internal.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        var (status, title, detail) = Map(exception);
        if (status >= StatusCodes.Status500InternalServerError && status != StatusCodes.Status503ServiceUnavailable)
        {
            LogUnexpected(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (exception is ApiProblemException { Extensions: var extensions })
        {
            foreach (var (name, value) in extensions)
            {
                problem.Extensions[name] = value;
            }
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }

    public static (int Status, string Title, string Detail) Map(Exception exception) => exception switch
    {
        ApiProblemException e => (e.StatusCode, e.Title, e.Message),
        UnknownParameterException e => (StatusCodes.Status400BadRequest, "Unknown parameter", e.Message),
        ParameterValidationException e => (StatusCodes.Status400BadRequest, "Value out of range", e.Message),
        InvalidObjectKeyException e => (StatusCodes.Status400BadRequest, "Invalid name", e.Message),
        InvalidPageTokenException e => (StatusCodes.Status400BadRequest, "Invalid token", e.Message),
        AccountValidationException e => (StatusCodes.Status400BadRequest, "The request is not valid", e.Message),
        BadHttpRequestException e => (e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Too large" : "The request is not valid", e.Message),
        HumanLoopNotFoundException e => (StatusCodes.Status404NotFound, "Not found", e.Message),
        ObjectNotFoundException e => (StatusCodes.Status404NotFound, "Not found", e.Message),
        ExecutionDoesNotExistException e => (StatusCodes.Status404NotFound, "Not found", e.Message),
        HumanLoopConflictException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
        ExecutionAlreadyExistsException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
        AccountConflictException e => (StatusCodes.Status409Conflict, "Conflict", e.Message),
        ImageTooLargeException e => (StatusCodes.Status413PayloadTooLarge, "Image too large", e.Message),
        InvalidImageException e => (StatusCodes.Status415UnsupportedMediaType, "Not an image", e.Message),
        ModelNotRunningException e => (StatusCodes.Status503ServiceUnavailable, "No running model", e.Message),
        _ => (StatusCodes.Status500InternalServerError, "Unexpected error", "The server failed to handle the request; its log has the details."),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure of {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
