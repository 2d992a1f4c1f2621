using CustomLabels.Core.Parameters;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.TrainingImages;

/// <summary>
/// The training set (<c>images_labeled_by_folder/</c>): uploads, labels with their counts, and training on demand.
/// </summary>
internal static class TrainingImagesEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var images = api.MapGroup("/training-images").RequireAuthorization(Policies.Operator).WithTags("Training images");
        images.MapGet("/", ListAsync)
            .WithName("ListTrainingImages")
            .WithSummary("Labels with their image counts, the images the running version has not seen, and the rejected images that count");
        images.MapPost("/{label}", (string label, HttpContext context, [FromServices] TrainingImageUploader uploader, CancellationToken ct) =>
                UploadAsync(CheckLabel(label), context, uploader, ct))
            .Accepts<UploadFilesForm>("multipart/form-data")
            .WithName("UploadTrainingImages")
            .WithSummary("Adds images under a label: one or many files, or zips of label folders");
        images.MapPost("/", (HttpContext context, [FromServices] TrainingImageUploader uploader, CancellationToken ct) =>
                UploadAsync(null, context, uploader, ct))
            .Accepts<UploadFilesForm>("multipart/form-data")
            .WithName("UploadTrainingImageZips")
            .WithSummary("Adds zips of label folders");
        api.MapPost("/training", StartTrainingAsync)
            .RequireAuthorization(Policies.Operator)
            .WithTags("Training")
            .Produces<ExecutionSummary>(StatusCodes.Status202Accepted)
            .WithName("StartTraining")
            .WithSummary("Starts the training branch now, without the check's image minimum");
    }

    private static Task<TrainingSetSummary> ListAsync(
        [FromServices] IObjectStore store,
        [FromServices] IParameterStore parameters,
        [FromServices] RejectedImages rejected,
        CancellationToken cancellationToken) =>
        TrainingSetSummary.DescribeAsync(store, parameters, rejected, cancellationToken);

    private static async Task<IResult> UploadAsync(string? label, HttpContext context, TrainingImageUploader uploader, CancellationToken cancellationToken)
    {
        var form = await UploadForm.ReadAsync(context.Request, cancellationToken);
        var files = form.Files.GetFiles("files");
        if (files.Count == 0)
        {
            throw ApiProblemException.BadRequest("Send one or more files (images, or zips of label folders) in the form field 'files'.");
        }

        var results = await uploader.UploadAsync(label, files, cancellationToken);
        var response = new UploadResponse(
            results.Count(r => r.Status == UploadResult.Stored),
            results.Count(r => r.Status == UploadResult.Unchanged),
            results.Count(r => r.Status == UploadResult.Refused),
            results);
        if (response.Refused < results.Count)
        {
            return TypedResults.Ok(response);
        }

        // Nothing was taken: the status says why, when every file was refused for the same reason.
        var reasons = results.Select(r => r.Refusal).Distinct().ToList();
        var (status, title) = reasons is ["not-an-image"] ? (StatusCodes.Status415UnsupportedMediaType, "Not an image")
            : reasons is ["too-large"] ? (StatusCodes.Status413PayloadTooLarge, "Too large")
            : reasons is ["exists"] ? (StatusCodes.Status409Conflict, "Conflict")
            : reasons is [TrainingImageUploader.CorruptZip] ? (StatusCodes.Status400BadRequest, "Unreadable zip")
            : (StatusCodes.Status400BadRequest, "Nothing was added");
        throw new ApiProblemException(
            status,
            title,
            results.Count == 1 ? results[0].Reason! : $"All {results.Count} files were refused; see results.",
            new Dictionary<string, object?> { ["results"] = results });
    }

    private static async Task<IResult> StartTrainingAsync([FromServices] IWorkflowService workflow, CancellationToken cancellationToken)
    {
        var execution = await workflow.StartExecutionAsync(
            WorkflowEvents.Scheduled(WorkflowEvents.Branches.Training, force: true).ToJsonString(), null, cancellationToken);
        return TypedResults.Accepted($"/api/executions/{Uri.EscapeDataString(execution.ExecutionId)}", execution);
    }

    /// <summary>The label from the path: one safe segment (an encoded slash or backslash is refused too).</summary>
    private static string CheckLabel(string label) =>
        ObjectKey.ValidateSegment(Uri.UnescapeDataString(label), "label");

    /// <summary>The form of an upload, for the OpenAPI document.</summary>
    internal sealed record UploadFilesForm(IFormFileCollection Files);
}

/// <summary>What an upload added and refused, file by file.</summary>
public sealed record UploadResponse(int Stored, int Unchanged, int Refused, IReadOnlyList<UploadResult> Results);
