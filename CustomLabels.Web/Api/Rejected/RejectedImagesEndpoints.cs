using CustomLabels.Core.Review;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Rejected;

/// <summary>
/// The images reviewers answered "none of the above" (<c>images_rejected/</c>): listed with the loop each came from, and
/// deleted one by one.
/// </summary>
internal static class RejectedImagesEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var rejected = api.MapGroup("/rejected-images").RequireAuthorization(Policies.Operator).WithTags("Rejected images");
        rejected.MapGet("/", ListAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("ListRejectedImages")
            .WithSummary("Images answered \"none of the above\", in key order, paged");
        rejected.MapDelete("/{fileName}", DeleteAsync)
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("DeleteRejectedImage")
            .WithSummary("Deletes one rejected image by its file name");
    }

    private static Task<RejectedImagePage> ListAsync(
        [FromServices] RejectedImages rejected, string? nextToken, int? maxResults, CancellationToken cancellationToken)
    {
        if (maxResults is < 1 or > RejectedImages.MaxPageSize)
        {
            throw ApiProblemException.BadRequest($"maxResults must be a whole number from 1 to {RejectedImages.MaxPageSize}.");
        }

        return rejected.ListAsync(nextToken, maxResults ?? 100, cancellationToken);
    }

    private static async Task<IResult> DeleteAsync(
        [FromServices] RejectedImages rejected, string fileName, CancellationToken cancellationToken)
    {
        // An encoded slash or backslash reaches here still encoded: unescaped, it is refused as a path (400).
        await rejected.DeleteAsync(Uri.UnescapeDataString(fileName), cancellationToken);
        return TypedResults.NoContent();
    }
}
