namespace CustomLabels.Web.Api.Problems;

/// <summary>A refusal with its HTTP status, written as problem details.</summary>
public sealed class ApiProblemException(int statusCode, string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    : Exception(detail)
{
    /// <summary>More members of the problem, e.g. the execution id or per-file results.</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; } = extensions ?? new Dictionary<string, object?>();

    /// <summary>The status code.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The problem's title.</summary>
    public string Title { get; } = title;

    /// <summary>400 with a reason.</summary>
    public static ApiProblemException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "The request is not valid", detail);

    /// <summary>404 with a reason.</summary>
    public static ApiProblemException NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>413 with a reason.</summary>
    public static ApiProblemException TooLarge(string detail) => new(StatusCodes.Status413PayloadTooLarge, "Too large", detail);
}
