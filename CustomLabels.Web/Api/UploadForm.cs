using System.Globalization;
using CustomLabels.Web.Api.Problems;
using Microsoft.Extensions.Options;

namespace CustomLabels.Web.Api;

/// <summary>
/// Reads a multipart upload within <see cref="ApiOptions.MaxUploadBytes"/>: a body declared or found longer is a 413,
/// a body that is not multipart is a 415, and a malformed one a 400.
/// </summary>
internal static class UploadForm
{
    public static async Task<IFormCollection> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = request.HttpContext.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxUploadBytes;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        if (!request.HasFormContentType)
        {
            throw new ApiProblemException(
                StatusCodes.Status415UnsupportedMediaType,
                "Not a form upload",
                "Send the files as multipart/form-data.");
        }

        try
        {
            return await request.ReadFormAsync(cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(limit);
        }
        catch (InvalidDataException e)
        {
            throw ApiProblemException.BadRequest($"The form could not be read: {e.Message}");
        }
        catch (IOException) when (!request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The reader ran out of body before it met the boundary that the content type names.
            throw ApiProblemException.BadRequest("The form could not be read: its body does not match the multipart boundary of its content type.");
        }
    }

    /// <summary>A number field of the form, or null when absent; 400 when present and not a number in range.</summary>
    public static double? Number(IFormCollection form, string name, double minimum, double maximum, bool whole)
    {
        var text = form[name].ToString();
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) && value >= minimum && value <= maximum && (!whole || Math.Floor(value) == value);
        return ok
            ? value
            : throw ApiProblemException.BadRequest(
                $"{name} must be {(whole ? "a whole number" : "a number")} from {minimum.ToString(CultureInfo.InvariantCulture)} to {maximum.ToString(CultureInfo.InvariantCulture)}.");
    }

    private static ApiProblemException TooLarge(long limit) => ApiProblemException.TooLarge(
        $"The upload is larger than the {limit.ToString("N0", CultureInfo.InvariantCulture)} bytes this server accepts (CustomLabels:Api:MaxUploadBytes).");
}
