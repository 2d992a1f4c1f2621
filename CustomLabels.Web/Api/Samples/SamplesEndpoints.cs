using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Api.TrainingImages;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Samples;

/// <summary>The sample image set that ships with the product, for a first model in a minute.</summary>
internal static class SamplesEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var samples = api.MapGroup("/samples").RequireAuthorization(Policies.Operator).WithTags("Samples");
        samples.MapPost("/training-images", AddTrainingSetAsync)
            .WithName("AddSampleTrainingImages")
            .WithSummary("Adds the sample training set (two labels of clean shots) to the training set");
    }

    private static async Task<UploadResponse> AddTrainingSetAsync([FromServices] SampleImages samples, CancellationToken cancellationToken)
    {
        if (!SampleImages.Available)
        {
            throw new ApiProblemException(StatusCodes.Status404NotFound, "No samples", "This build ships no sample images.");
        }

        var results = await samples.AddTrainingSetAsync(cancellationToken);
        return new UploadResponse(
            results.Count(r => r.Status == UploadResult.Stored),
            results.Count(r => r.Status == UploadResult.Unchanged),
            results.Count(r => r.Status == UploadResult.Refused),
            results);
    }
}
