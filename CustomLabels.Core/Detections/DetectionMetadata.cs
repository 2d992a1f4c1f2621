using System.Globalization;

namespace CustomLabels.Core.Detections;

/// <summary>
/// The object metadata that a detection image carries under <c>images_for_detection/</c> and that the detection run
/// reads, and the ranges of a consumer's options: the one place they are declared and checked.
/// </summary>
public static class DetectionMetadata
{
    /// <summary>The lowest confidence (0..100) a consumer wants returned.</summary>
    public const string MinConfidence = "min-confidence";

    /// <summary>The most labels a consumer wants returned (1..1000).</summary>
    public const string MaxResults = "max-results";

    /// <summary>Who asked (user name or API key name), as the detection log records it.</summary>
    public const string RequestedBy = "requested-by";

    /// <summary>Who asked, by principal id (see <see cref="Accounts.Callers"/>): what a sender's own detections and images are found by.</summary>
    public const string RequesterId = "requested-by-id";

    /// <summary>The lowest confidence there is.</summary>
    public const float LowestConfidence = 0;

    /// <summary>The highest confidence there is.</summary>
    public const float HighestConfidence = 100;

    /// <summary>The most labels a consumer may ask for.</summary>
    public const int MostResults = 1000;

    /// <summary>A confidence given as text (a form field or metadata named <paramref name="name"/>), or null when blank.</summary>
    /// <exception cref="DetectionOptionException">Not a number from 0 to 100.</exception>
    public static float? ParseConfidence(string? text, string name) =>
        string.IsNullOrWhiteSpace(text) ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? CheckConfidence(value, name)
        : throw ConfidenceOutOfRange(text, name);

    /// <summary>A number of results given as text (a form field or metadata named <paramref name="name"/>), or null when blank.</summary>
    /// <exception cref="DetectionOptionException">Not a whole number from 1 to 1000.</exception>
    public static int? ParseMaxResults(string? text, string name) =>
        string.IsNullOrWhiteSpace(text) ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? CheckMaxResults(value, name)
        : throw MaxResultsOutOfRange(text, name);

    /// <summary>Checks that a confidence is from 0 to 100.</summary>
    /// <exception cref="DetectionOptionException">It is not.</exception>
    public static float CheckConfidence(double value, string name) =>
        double.IsFinite(value) && value >= LowestConfidence && value <= HighestConfidence
            ? (float)value
            : throw ConfidenceOutOfRange(value.ToString(CultureInfo.InvariantCulture), name);

    /// <summary>Checks that a number of results is a whole number from 1 to 1000.</summary>
    /// <exception cref="DetectionOptionException">It is not.</exception>
    public static int CheckMaxResults(double value, string name) =>
        double.IsFinite(value) && value >= 1 && value <= MostResults && Math.Floor(value) == value
            ? (int)value
            : throw MaxResultsOutOfRange(value.ToString(CultureInfo.InvariantCulture), name);

    /// <summary>The metadata that a detection image is stored with.</summary>
    internal static Dictionary<string, string> Of(DetectionRequest request)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(metadata, RequestedBy, request.RequestedBy);
        Add(metadata, RequesterId, request.RequesterId);
        Add(metadata, MinConfidence, request.MinConfidence is { } min ? CheckConfidence(min, nameof(request.MinConfidence)).ToString(CultureInfo.InvariantCulture) : null);
        Add(metadata, MaxResults, request.MaxResults is { } max ? CheckMaxResults(max, nameof(request.MaxResults)).ToString(CultureInfo.InvariantCulture) : null);
        return metadata;
    }

    /// <summary>The sender's options, as a detection image's metadata gives them.</summary>
    /// <exception cref="DetectionOptionException">One is out of its range.</exception>
    internal static (float? MinConfidence, int? MaxResults) ReadOptions(IReadOnlyDictionary<string, string> metadata) =>
        (ParseConfidence(Text(metadata, MinConfidence), MinConfidence), ParseMaxResults(Text(metadata, MaxResults), MaxResults));

    /// <summary>A metadata value, or null when absent or blank.</summary>
    internal static string? Text(IReadOnlyDictionary<string, string> metadata, string name) =>
        metadata.TryGetValue(name, out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;

    private static void Add(Dictionary<string, string> metadata, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            metadata[name] = value;
        }
    }

    private static DetectionOptionException ConfidenceOutOfRange(string text, string name) =>
        new(name, $"{name} is '{Storage.ObjectKey.Printable(text)}'; it must be a number from {LowestConfidence} to {HighestConfidence}.");

    private static DetectionOptionException MaxResultsOutOfRange(string text, string name) =>
        new(name, $"{name} is '{Storage.ObjectKey.Printable(text)}'; it must be a whole number from 1 to {MostResults}.");
}

/// <summary>A consumer's detection option out of its range; the message names the option and the range. HTTP 400.</summary>
public sealed class DetectionOptionException(string name, string message) : InvalidRequestException(message)
{
    /// <summary>The option (a form field, a request property or a metadata name).</summary>
    public string Name { get; } = name;
}
