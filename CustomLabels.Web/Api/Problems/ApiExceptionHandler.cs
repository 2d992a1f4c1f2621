using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Problems;

/// <summary>
/// Writes every endpoint's failure as RFC 7807 problem details, as <see cref="ProblemMapping"/> maps it; logs the
/// unexpected ones.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        var mapped = ProblemMapping.For(exception);
        if (mapped.IsUnexpected)
        {
            LogUnexpected(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        var problem = new ProblemDetails { Status = mapped.Status, Title = mapped.Title, Detail = mapped.Detail };
        foreach (var (name, value) in mapped.Extensions)
        {
            problem.Extensions[name] = value;
        }

        httpContext.Response.StatusCode = mapped.Status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure of {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
