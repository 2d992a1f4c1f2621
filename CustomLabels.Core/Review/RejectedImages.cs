using System.Buffers.Text;
using System.Text;
using System.Text.RegularExpressions;
using CustomLabels.Core.Data;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Handlers;

namespace CustomLabels.Core.Review;

/// <summary>One image a reviewer answered "none of the above", kept under <c>images_rejected/</c>.</summary>
/// <param name="Key">Its key: <c>images_rejected/&lt;file&gt;</c>.</param>
/// <param name="FileName">Its name under <c>images_rejected/</c>: <c>&lt;loop&gt;-&lt;uuid&gt;-&lt;original name&gt;</c>.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="LastModified">When it was written.</param>
/// <param name="HumanLoopName">The loop whose answer it was, read from the file name; null for a file not named so.</param>
/// <param name="ETag">Its content hash.</param>
public sealed record RejectedImage(string Key, string FileName, long Size, DateTimeOffset LastModified, string? HumanLoopName, string ETag);

/// <summary>A page of rejected images, in key order.</summary>
/// <param name="Images">The images on this page.</param>
/// <param name="NextToken">The token of the next page, or null when this is the last.</param>
public sealed record RejectedImagePage(IReadOnlyList<RejectedImage> Images, string? NextToken);

/// <summary>Every rejected image, and which of them the running version has not trained on.</summary>
/// <param name="Images">Every rejected image, in key order.</param>
/// <param name="UntrainedKeys">
/// The keys of those the running version was not trained with, by content against the negatives manifest it was
/// trained with (a renamed copy is not new, a second copy counts once more).
/// </param>
/// <param name="LearnsFromRejectedImages">Whether the model learns from them (<see cref="ICustomLabelsModel.LearnsFromRejectedImages"/>).</param>
public sealed record RejectedImageSet(IReadOnlyList<RejectedImage> Images, IReadOnlySet<string> UntrainedKeys, bool LearnsFromRejectedImages)
{
    /// <summary>How many count toward Minimum-Untrained-Images: the untrained ones when the model learns from them, otherwise none.</summary>
    public int Untrained => LearnsFromRejectedImages ? UntrainedKeys.Count : 0;
}

/// <summary>
/// The images reviewers answered "none of the above" (<c>images_rejected/</c>): evidence of what is none of the labels,
/// written by the review branch (<see cref="BucketLayout.ReviewedImageFileName"/>), used as hard negatives by a model that
/// learns from them, listed and deleted by operators. One set of rules for the HTTP API and the dashboard.
/// </summary>
public sealed partial class RejectedImages(IObjectStore store, IParameterStore parameters, ICustomLabelsModel model, PipelineEvents events)
{
    /// <summary>The largest page <see cref="ListAsync"/> returns.</summary>
    public const int MaxPageSize = 1000;

    private const string TokenMark = "rejected:";

    /// <summary>Whether the model learns from rejected images, so that they count toward training.</summary>
    public bool LearnsFromRejectedImages => model.LearnsFromRejectedImages;

    /// <summary>The loop named by a rejected image's file name (<c>&lt;loop&gt;-&lt;uuid&gt;-&lt;original name&gt;</c>), or null.</summary>
    public static string? HumanLoopOf(string fileName)
    {
        var match = ReviewedFileName().Match(fileName ?? string.Empty);
        return match.Success ? match.Groups["loop"].Value : null;
    }

    /// <summary>One page of rejected images, in key order.</summary>
    /// <param name="nextToken">The previous page's token, or null for the first page.</param>
    /// <param name="maxResults">The most images on the page, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <exception cref="InvalidPageTokenException">The token was not issued by this listing.</exception>
    public async Task<RejectedImagePage> ListAsync(string? nextToken = null, int maxResults = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxResults, MaxPageSize);
        var storeToken = DecodeToken(nextToken);
        ObjectListing listing;
        try
        {
            listing = await store.ListAsync(BucketLayout.RejectedImages, storeToken, maxResults, cancellationToken);
        }
        catch (ArgumentException e) when (storeToken is not null && e is not InvalidObjectKeyException)
        {
            throw new InvalidPageTokenException($"The page token is not one this listing issued: {e.Message}");
        }

        return new RejectedImagePage(
            [.. listing.Objects.Where(o => BucketLayout.IsRejectedImage(o.Key)).Select(Describe)],
            listing.NextContinuationToken is { } next ? EncodeToken(next) : null);
    }

    /// <summary>Every rejected image, with those the running version has not trained on.</summary>
    public async Task<RejectedImageSet> DescribeAsync(CancellationToken cancellationToken = default)
    {
        var images = new List<RejectedImage>();
        await foreach (var info in store.ListAllAsync(BucketLayout.RejectedImages, cancellationToken))
        {
            if (BucketLayout.IsRejectedImage(info.Key))
            {
                images.Add(Describe(info));
            }
        }

        var trained = await TrainedImages.ReadTrainedRejectedAsync(store, parameters, cancellationToken);
        var untrained = TrainingSet.UntrainedKeys(images.Select(i => (i.Key, string.Empty, i.ETag)), trained.Select(etag => (string.Empty, etag)));
        return new RejectedImageSet(images, untrained, model.LearnsFromRejectedImages);
    }

    /// <summary>Deletes one rejected image by its file name.</summary>
    /// <exception cref="InvalidObjectKeyException">The name is not one file name (a path, a control character, empty).</exception>
    /// <exception cref="ObjectNotFoundException">No rejected image has this name.</exception>
    public async Task DeleteAsync(string fileName, CancellationToken cancellationToken = default)
    {
        var key = BucketLayout.RejectedImageKey(fileName);
        if (!BucketLayout.IsRejectedImage(key) || await store.HeadAsync(key, cancellationToken) is null)
        {
            throw new ObjectNotFoundException(key);
        }

        await store.DeleteAsync(key, cancellationToken);
        events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages, key));
    }

    private static RejectedImage Describe(ObjectInfo info)
    {
        var fileName = info.Key[BucketLayout.RejectedImages.Length..];
        return new RejectedImage(info.Key, fileName, info.Size, info.LastModified, HumanLoopOf(fileName), info.ETag);
    }

    private static string EncodeToken(string storeToken) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(TokenMark + storeToken));

    private static string? DecodeToken(string? token)
    {
        if (token is null)
        {
            return null;
        }

        if (token.Length > 0 && Base64Url.IsValid(token))
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            if (text.StartsWith(TokenMark, StringComparison.Ordinal) && text.Length > TokenMark.Length)
            {
                return text[TokenMark.Length..];
            }
        }

        throw new InvalidPageTokenException("The page token is not one this listing issued.");
    }

    [GeneratedRegex("^(?<loop>.+?)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-.+$", RegexOptions.CultureInvariant)]
    private static partial Regex ReviewedFileName();
}
