using System.Security.Claims;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace CustomLabels.Web.Components;

/// <summary>
/// Who may see which image on <c>/dashboard/images</c>. Training images: Operators. A detection image: Operators, its
/// sender (by principal id, from the image's metadata), and Reviewers once it has a loop that is open or answered.
/// A rejected image (a loop's image answered "none of the above"): Reviewers and Operators.
/// </summary>
internal sealed class DashboardImageAccess(IAuthorizationService authorization, IObjectStore store, IDetectionLog log, IHumanReview review)
{
    /// <summary>True when <paramref name="user"/> may see the image under <paramref name="key"/>.</summary>
    public async Task<bool> MaySeeAsync(ClaimsPrincipal user, string key, CancellationToken cancellationToken)
    {
        if (await IsAsync(user, Policies.Operator))
        {
            return true;
        }

        if (key.StartsWith(BucketLayout.RejectedImages, StringComparison.Ordinal))
        {
            return await IsAsync(user, Policies.Reviewer);
        }

        if (!key.StartsWith(BucketLayout.DetectionImages, StringComparison.Ordinal))
        {
            return false;
        }

        // Whether or not the image exists, a caller who may not see it is told the same: no probing for keys.
        if (user.CallerId() is { } me
            && (await store.HeadAsync(key, cancellationToken))?.Metadata.TryGetValue(DetectionMetadata.RequesterId, out var sender) == true
            && string.Equals(sender, me, StringComparison.Ordinal))
        {
            return true;
        }

        return await IsAsync(user, Policies.Reviewer) && await HasReviewLoopAsync(key, cancellationToken);
    }

    private async Task<bool> HasReviewLoopAsync(string key, CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var page = await log.QueryAsync(new DetectionQuery(ObjectKey: key, NextToken: token, MaxResults: 50), cancellationToken);
            foreach (var name in page.Items.Select(d => d.HumanLoopName).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                if (await review.DescribeHumanLoopAsync(name, cancellationToken) is { Status: HumanLoopStatus.InProgress or HumanLoopStatus.Completed })
                {
                    return true;
                }
            }

            token = page.NextToken;
        }
        while (token is not null);

        return false;
    }

    private async Task<bool> IsAsync(ClaimsPrincipal user, string policy) => (await authorization.AuthorizeAsync(user, policy)).Succeeded;
}
