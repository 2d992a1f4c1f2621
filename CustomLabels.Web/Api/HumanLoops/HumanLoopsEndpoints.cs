using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.HumanLoops;

/// <summary>The review queue: human loops by status, and a reviewer's answer.</summary>
internal static class HumanLoopsEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var loops = api.MapGroup("/human-loops").RequireAuthorization(Policies.Reviewer).WithTags("Human loops");
        loops.MapGet("/", ListAsync).WithName("ListHumanLoops").WithSummary("Loops by status, newest first");
        loops.MapGet("/{name}", DescribeAsync).ProducesProblem(StatusCodes.Status404NotFound).WithName("DescribeHumanLoop");
        loops.MapPost("/{name}/answer", AnswerAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("AnswerHumanLoop")
            .WithSummary("Answers a loop with a label (optionally with the box that shows it), or none of the above; 409 when the loop is not InProgress");
    }

    private static Task<HumanLoopPage> ListAsync(
        [FromServices] IHumanReview review, string? status, string? nextToken, int? maxResults, CancellationToken cancellationToken)
    {
        HumanLoopStatus? parsed = null;
        if (!string.IsNullOrEmpty(status))
        {
            parsed = Enum.TryParse<HumanLoopStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s) && !int.TryParse(status, out _)
                ? s
                : throw ApiProblemException.BadRequest($"'{status}' is not a loop status; use InProgress, Completed, Failed, Stopping or Stopped.");
        }

        if (maxResults is < 1 or > 100)
        {
            throw ApiProblemException.BadRequest("maxResults must be a whole number from 1 to 100.");
        }

        return review.ListHumanLoopsAsync(new HumanLoopQuery(parsed, NextToken: nextToken, MaxResults: maxResults ?? 50), cancellationToken);
    }

    private static async Task<HumanLoop> DescribeAsync([FromServices] IHumanReview review, string name, CancellationToken cancellationToken) =>
        await review.DescribeHumanLoopAsync(name, cancellationToken) ?? throw new HumanLoopNotFoundException(name);

    private static async Task<HumanLoop> AnswerAsync(
        [FromServices] IHumanReview review,
        HttpContext context,
        string name,
        [FromBody] AnswerRequest? request,
        CancellationToken cancellationToken)
    {
        var answer = request switch
        {
            { NoneOfTheAbove: true, Label: null or "" } => HumanLoopAnswer.None with { BoundingBox = request.BoundingBox },
            { NoneOfTheAbove: not true, Label: { Length: > 0 } label } =>
                HumanLoopAnswer.ForLabel(ObjectKey.ValidateSegment(label.Trim(), "label"), request.BoundingBox),
            _ => throw ApiProblemException.BadRequest("Answer with {\"label\": \"...\"} or {\"noneOfTheAbove\": true}, not both."),
        };
        if (answer.RegionProblem() is { } problem)
        {
            throw ApiProblemException.BadRequest(problem);
        }

        _ = await review.DescribeHumanLoopAsync(name, cancellationToken) ?? throw new HumanLoopNotFoundException(name);
        return await review.AnswerHumanLoopAsync(name, answer, context.User.CallerName(), cancellationToken);
    }
}

/// <summary>
/// A reviewer's answer: a label, or none of the above. With a label, <c>boundingBox</c>
/// (<c>{"Left", "Top", "Width", "Height"}</c>, fractions of the image) is the region that shows it; the training copy keeps it.
/// </summary>
public sealed record AnswerRequest(string? Label, bool? NoneOfTheAbove, BoundingBox? BoundingBox = null);
