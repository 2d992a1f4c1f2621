using System.Text.Json.Serialization;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Detection;

/// <summary>
/// <c>POST /api/detect</c>: stores the image under <c>images_for_detection/</c>, waits for the one detection run that
/// the new object starts, and answers with its labels (DetectCustomLabels' shape), the execution id and the human
/// loop it created, if any. Every detection takes the same path, <see cref="IDetectionSubmitter"/>: the workflow.
/// </summary>
internal static class DetectEndpoints
{
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
            .ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .WithName("Detect")
            .WithSummary("Detects custom labels in an image, through the workflow");
    }

    private static async Task<DetectResponse> DetectAsync(
        HttpContext context,
        [FromServices] IDetectionSubmitter detections,
        CancellationToken cancellationToken)
    {
        var form = await UploadForm.ReadAsync(context.Request, cancellationToken);
        var minConfidence = DetectionMetadata.ParseConfidence(form["minConfidence"], "minConfidence");
        var maxResults = DetectionMetadata.ParseMaxResults(form["maxResults"], "maxResults");
        var files = form.Files.GetFiles("image");
        if (files.Count != 1)
        {
            throw ApiProblemException.BadRequest("Send exactly one image, in the form field 'image'.");
        }

        // Refused before it is read into memory.
        var file = files[0];
        ImageInspector.CheckEncodedLength(file.Length);
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        }

        var outcome = await detections.SubmitAsync(
            context.User.DetectionRequest(file.FileName, bytes) with { MinConfidence = minConfidence, MaxResults = maxResults },
            cancellationToken);
        return new DetectResponse(
            [.. outcome.Labels.Select(DetectedLabel.From)], outcome.ExecutionId, outcome.HumanLoopName, outcome.ObjectKey, outcome.VersionName);
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
