using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CustomLabels.Web.Api.Detection;

/// <summary>
/// <c>POST /api/detect</c>: stores the image under <c>images_for_detection/</c>, waits for the one detection run that
/// the new object starts, and answers with its labels (DetectCustomLabels' shape), the execution id and the human
/// loop it created, if any. Every detection takes the same path: the workflow.
/// </summary>
internal static class DetectEndpoints
{
    /// <summary>The object metadata that the detection run reads.</summary>
    public const string MinConfidenceMetadata = "min-confidence";

    /// <summary>The object metadata that the detection run reads.</summary>
    public const string MaxResultsMetadata = "max-results";

    /// <summary>Who asked, as the detection log records it.</summary>
    public const string RequestedByMetadata = "requested-by";

    /// <summary>Who asked, by principal id: what the sender's own detections and images are found by.</summary>
    public const string RequesterIdMetadata = "requested-by-id";

    /// <summary>The object metadata that says who sent a detection image: by name, for people, and by principal id.</summary>
    internal static Dictionary<string, string> RequesterMetadata(System.Security.Claims.ClaimsPrincipal user)
    {
        var metadata = new Dictionary<string, string> { [RequestedByMetadata] = user.CallerName() };
        if (user.CallerId() is { } id)
        {
            metadata[RequesterIdMetadata] = id;
        }

        return metadata;
    }

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/detect", DetectAsync)
            .RequireAuthorization(Policies.Consumer)
            .Accepts<DetectForm>("multipart/form-data")
            .Produces<DetectResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("Detect")
            .WithSummary("Detects custom labels in an image, through the workflow");
    }

    private static async Task<DetectResponse> DetectAsync(
        HttpContext context,
        [FromServices] IObjectStore store,
        [FromServices] IWorkflowService workflow,
        [FromServices] ServingVersion serving,
        [FromServices] TimeProvider time,
        [FromServices] IOptions<ApiOptions> options,
        [FromServices] IOptions<WorkflowOptions> workflowOptions,
        CancellationToken cancellationToken)
    {
        var form = await UploadForm.ReadAsync(context.Request, cancellationToken);
        var minConfidence = UploadForm.Number(form, "minConfidence", 0, 100, whole: false);
        var maxResults = UploadForm.Number(form, "maxResults", 1, 1000, whole: true);
        var files = form.Files.GetFiles("image");
        if (files.Count != 1)
        {
            throw ApiProblemException.BadRequest("Send exactly one image, in the form field 'image'.");
        }

        var file = files[0];
        if (file.Length > ImageInspector.MaxEncodedBytes)
        {
            throw new ImageTooLargeException(
                $"The image is {file.Length:N0} bytes; the most accepted is {ImageInspector.MaxEncodedBytes:N0}.");
        }

        var bytes = await ReadAsync(file, cancellationToken);
        var image = ImageInspector.Inspect(bytes);

        // Refuse before storing, so that no image waits under images_for_detection/ for a model that is not there; during
        // the first deployment, wait for it within the detection timeout.
        var started = time.GetTimestamp();
        await serving.WaitAsync(options.Value.DetectionTimeout, cancellationToken);
        var left = options.Value.DetectionTimeout - time.GetElapsedTime(started);

        var metadata = RequesterMetadata(context.User);
        if (minConfidence is { } min)
        {
            metadata[MinConfidenceMetadata] = min.ToString(CultureInfo.InvariantCulture);
        }

        if (maxResults is { } max)
        {
            metadata[MaxResultsMetadata] = max.ToString(CultureInfo.InvariantCulture);
        }

        var key = $"{BucketLayout.DetectionImages}{Guid.NewGuid():N}-{SafeFileName(file.FileName, image.Format)}";
        var stored = await store.CreateBytesAsync(key, bytes, metadata, cancellationToken);

        var input = WorkflowEvents.ObjectCreated(workflowOptions.Value.BucketName, stored).ToJsonString();
        var execution = await workflow.StartExecutionAsync(input, ExecutionNames.ForObject(stored.Key, stored.ETag), cancellationToken);

        ExecutionDetail detail;
        try
        {
            detail = await workflow.WaitForCompletionAsync(execution.ExecutionId, left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new ApiProblemException(
                StatusCodes.Status504GatewayTimeout,
                "Detection still running",
                $"The detection run did not end within {options.Value.DetectionTimeout}; follow it at /api/executions/{execution.ExecutionId}.",
                new Dictionary<string, object?> { ["executionId"] = execution.ExecutionId, ["objectKey"] = key });
        }

        if (detail.Summary.Status != ExecutionStatus.Succeeded)
        {
            throw FailedRun(detail, key);
        }

        return DetectionResult.From(detail, key);
    }

    private static ApiProblemException FailedRun(ExecutionDetail detail, string key)
    {
        var error = detail.Error ?? string.Empty;
        var (status, title) = error switch
        {
            WorkflowErrors.NoRunningModel => (StatusCodes.Status503ServiceUnavailable, "No running model"),
            WorkflowErrors.InvalidImage => (StatusCodes.Status415UnsupportedMediaType, "Not an image"),
            WorkflowErrors.ImageTooLarge => (StatusCodes.Status413PayloadTooLarge, "Image too large"),
            WorkflowErrors.InvalidInput => (StatusCodes.Status400BadRequest, "The request is not valid"),
            _ => (StatusCodes.Status500InternalServerError, "Detection failed"),
        };
        return new ApiProblemException(
            status,
            title,
            $"The detection run ended {detail.Summary.Status.ToString().ToUpperInvariant()}: {error} {detail.Cause}".Trim(),
            new Dictionary<string, object?> { ["executionId"] = detail.Summary.ExecutionId, ["objectKey"] = key });
    }

    private static async Task<byte[]> ReadAsync(IFormFile file, CancellationToken cancellationToken)
    {
        await using var stream = file.OpenReadStream();
        using var buffer = new MemoryStream((int)file.Length);
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>The file name reduced to letters, digits, '.', '-' and '_', at most 100 characters.</summary>
    internal static string SafeFileName(string? fileName, string format)
    {
        var name = (fileName ?? string.Empty).Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var safe = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')]).Trim('.', '_', '-');
        if (safe.Length > 100)
        {
            var extension = Path.GetExtension(safe);
            safe = string.Concat(safe.AsSpan(0, 100 - Math.Min(extension.Length, 10)), extension.Length <= 10 ? extension : string.Empty);
        }

        return safe.Length > 0 ? safe : $"image.{format.ToLowerInvariant()}";
    }

    /// <summary>The form of <c>POST /api/detect</c>, for the OpenAPI document.</summary>
    internal sealed record DetectForm(IFormFile Image, float? MinConfidence, int? MaxResults);
}

/// <summary>The answer of <c>POST /api/detect</c>: DetectCustomLabels' shape, plus where the run is.</summary>
public sealed record DetectResponse(
    [property: JsonPropertyName("CustomLabels")] IReadOnlyList<DetectedLabel> CustomLabels,
    [property: JsonPropertyName("executionId")] string ExecutionId,
    [property: JsonPropertyName("humanLoopName")] string? HumanLoopName,
    [property: JsonPropertyName("objectKey")] string ObjectKey,
    [property: JsonPropertyName("versionName")] string? VersionName);

/// <summary>One label, as DetectCustomLabels names its members; <c>Geometry</c> (the region that decided it) when known.</summary>
public sealed record DetectedLabel(
    [property: JsonPropertyName("Name")] string Name,
    [property: JsonPropertyName("Confidence")] float Confidence,
    [property: JsonPropertyName("Geometry"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LabelGeometry? Geometry = null);

/// <summary>Reads a detection run's result from its output (the definition's DetectionResult state).</summary>
internal static class DetectionResult
{
    public static DetectResponse From(ExecutionDetail detail, string key)
    {
        var output = string.IsNullOrEmpty(detail.Output) ? null : JsonNode.Parse(detail.Output) as JsonObject;
        var labels = (output?["CustomLabels"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(l => new DetectedLabel(
                (string?)l["Name"] ?? string.Empty,
                l["Confidence"] is JsonValue c && c.TryGetValue<float>(out var confidence) ? confidence : 0f,
                LabelGeometryJson.Read(l["Geometry"])))
            .ToList();
        return new DetectResponse(labels, detail.Summary.ExecutionId, Text(output?["HumanLoopName"]), key, Text(output?["VersionName"]));
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
