using System.Globalization;

namespace CustomLabels.Core.Parameters;

/// <summary>The names of the parameters (DESIGN.md section 4).</summary>
public static class ParameterNames
{
    /// <summary>bool: enables or disables the training schedule.</summary>
    public const string EnableAutomaticTraining = "Enable-Automatic-Training";

    /// <summary>int minutes &gt;= 1: the period of the training check.</summary>
    public const string AutomaticTrainingPollFrequency = "Automatic-Training-Poll-Frequency";

    /// <summary>int &gt;= 1: new labelled images since the last successful training needed to train.</summary>
    public const string MinimumUntrainedImages = "Minimum-Untrained-Images";

    /// <summary>float 0..1: a new version deploys only if its F1 is at least this.</summary>
    public const string MinimumF1Score = "Minimum-F1-Score";

    /// <summary>int 1..N: the running model's capacity (embedded: parallel inference workers).</summary>
    public const string MinimumInferenceUnits = "Minimum-Inference-Units";

    /// <summary>float 0..100: below it a detection goes to human review.</summary>
    public const string MinimumLabelDetectionConfidence = "Minimum-Label-Detection-Confidence";

    /// <summary>bool: whether low-confidence detections create human loops.</summary>
    public const string EnableA2IWorkflow = "Enable-A2I-Workflow";

    /// <summary>bool: enables or disables the sampling schedule.</summary>
    public const string EnableAutomaticHumanSampling = "Enable-Automatic-Human-Sampling";

    /// <summary>int minutes &gt;= 1: the period of the sampling check.</summary>
    public const string AutomaticHumanSamplingFrequency = "Automatic-Human-Sampling-Frequency";

    /// <summary>int &gt;= 1: every n-th detection is sampled for review.</summary>
    public const string HumanSamplingInterval = "Human-Sampling-Interval";

    /// <summary>JSON: system state (running version, trained image set, ARNs, bucket).</summary>
    public const string ForSystemUseOnly = "For-System-Use-Only";
}

/// <summary>The kind of a parameter's value.</summary>
public enum ParameterType
{
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>A whole number.</summary>
    WholeNumber,

    /// <summary>A decimal number (invariant culture).</summary>
    Number,

    /// <summary>A JSON document.</summary>
    Json,
}

/// <summary>Which group a parameter belongs to in the dashboard.</summary>
public enum ParameterGroup
{
    /// <summary>Training and deployment.</summary>
    Training,

    /// <summary>Detection and review.</summary>
    DetectionAndReview,

    /// <summary>Human sampling.</summary>
    Sampling,

    /// <summary>Managed by the pipeline itself.</summary>
    System,
}

/// <summary>One parameter's definition: type, range, default and description.</summary>
public sealed record ParameterDefinition(
    string Name,
    ParameterType Type,
    ParameterGroup Group,
    string DefaultValue,
    string Description,
    double? Minimum = null,
    double? Maximum = null,
    string? Unit = null)
{
    /// <summary>The range in words, e.g. "a whole number from 1 to 100", used in every refusal.</summary>
    public string RangeText => Type switch
    {
        ParameterType.Boolean => "true or false",
        ParameterType.Json => "a JSON document",
        _ => (Type == ParameterType.WholeNumber ? "a whole number" : "a number")
            + (Minimum, Maximum) switch
            {
                ({ } min, { } max) => $" from {Format(min)} to {Format(max)}",
                ({ } min, null) => $" of at least {Format(min)}",
                (null, { } max) => $" of at most {Format(max)}",
                _ => string.Empty,
            }
            + (Unit is null ? string.Empty : $" ({Unit})"),
    };

    /// <summary>Checks a value and returns it in canonical form (e.g. "True" becomes "true").</summary>
    /// <exception cref="ParameterValidationException">The value is out of range; the message names the range.</exception>
    public string Normalize(string? value)
    {
        var text = value?.Trim() ?? string.Empty;
        switch (Type)
        {
            case ParameterType.Boolean when bool.TryParse(text, out var flag):
                return flag ? "true" : "false";
            case ParameterType.WholeNumber when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole) && InRange(whole):
                return whole.ToString(CultureInfo.InvariantCulture);
            case ParameterType.Number when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                                          && double.IsFinite(number) && InRange(number):
                return number.ToString("R", CultureInfo.InvariantCulture);
            case ParameterType.Json when IsJson(text):
                return text;
            default:
                throw new ParameterValidationException(
                    Name,
                    $"'{Storage.ObjectKey.Printable(value)}' is not a valid value for {Name}: it must be {RangeText}.");
        }
    }

    private bool InRange(double value) => (Minimum is null || value >= Minimum) && (Maximum is null || value <= Maximum);

    private static bool IsJson(string text)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(text);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>The ten parameters and For-System-Use-Only, with their types, ranges and defaults (DESIGN.md section 4).</summary>
public static class ParameterCatalog
{
    /// <summary>The most inference units a version may be started with.</summary>
    public const int MaximumInferenceUnits = 16;

    /// <summary>Every definition, in the order the dashboard shows them.</summary>
    public static IReadOnlyList<ParameterDefinition> All { get; } =
    [
        new(ParameterNames.EnableAutomaticTraining, ParameterType.Boolean, ParameterGroup.Training, "true",
            "Turns the scheduled training check on or off."),
        new(ParameterNames.AutomaticTrainingPollFrequency, ParameterType.WholeNumber, ParameterGroup.Training, "720",
            "How often the training check runs.", Minimum: 1, Unit: "minutes"),
        new(ParameterNames.MinimumUntrainedImages, ParameterType.WholeNumber, ParameterGroup.Training, "10",
            "How many new labelled images since the last successful training are needed to train again.", Minimum: 1),
        new(ParameterNames.MinimumF1Score, ParameterType.Number, ParameterGroup.Training, "0.8",
            "A newly trained version is deployed only if its F1 score on the test set is at least this.", Minimum: 0, Maximum: 1),
        new(ParameterNames.MinimumInferenceUnits, ParameterType.WholeNumber, ParameterGroup.Training, "1",
            "The running model's capacity: how many detections it serves in parallel.", Minimum: 1, Maximum: MaximumInferenceUnits),
        new(ParameterNames.MinimumLabelDetectionConfidence, ParameterType.Number, ParameterGroup.DetectionAndReview, "70",
            "A detection whose best label is below this confidence goes to human review.",
            Minimum: Detections.DetectionMetadata.LowestConfidence, Maximum: Detections.DetectionMetadata.HighestConfidence, Unit: "percent"),
        new(ParameterNames.EnableA2IWorkflow, ParameterType.Boolean, ParameterGroup.DetectionAndReview, "true",
            "Whether low-confidence detections create human review loops."),
        new(ParameterNames.EnableAutomaticHumanSampling, ParameterType.Boolean, ParameterGroup.Sampling, "false",
            "Turns the scheduled sampling check on or off."),
        new(ParameterNames.AutomaticHumanSamplingFrequency, ParameterType.WholeNumber, ParameterGroup.Sampling, "720",
            "How often the sampling check runs.", Minimum: 1, Unit: "minutes"),
        new(ParameterNames.HumanSamplingInterval, ParameterType.WholeNumber, ParameterGroup.Sampling, "1000",
            "Every n-th detection is sampled for review, whatever its confidence.", Minimum: 1),
        new(ParameterNames.ForSystemUseOnly, ParameterType.Json, ParameterGroup.System, "{}",
            "System state kept by the pipeline: the running version, the trained image set, ARNs and the bucket."),
    ];

    private static readonly Dictionary<string, ParameterDefinition> ByName =
        All.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>The definition of a parameter.</summary>
    /// <exception cref="UnknownParameterException">No parameter has this name.</exception>
    public static ParameterDefinition Get(string name) =>
        ByName.TryGetValue(name, out var definition) ? definition : throw new UnknownParameterException(name);

    /// <summary>True when a parameter has this name.</summary>
    public static bool Contains(string name) => ByName.ContainsKey(name);
}

/// <summary>The parameters' values, typed, as the pipeline reads them at one moment.</summary>
public sealed record PipelineSettings(
    bool EnableAutomaticTraining,
    int AutomaticTrainingPollFrequencyMinutes,
    int MinimumUntrainedImages,
    double MinimumF1Score,
    int MinimumInferenceUnits,
    float MinimumLabelDetectionConfidence,
    bool EnableA2IWorkflow,
    bool EnableAutomaticHumanSampling,
    int AutomaticHumanSamplingFrequencyMinutes,
    int HumanSamplingInterval,
    string ForSystemUseOnly)
{
    /// <summary>Reads typed settings from the store's current values.</summary>
    public static PipelineSettings From(IEnumerable<ParameterValue> values)
    {
        var map = values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        string Raw(string name) => map.TryGetValue(name, out var v) ? v : ParameterCatalog.Get(name).DefaultValue;
        bool Flag(string name) => bool.Parse(Raw(name));
        int Whole(string name) => int.Parse(Raw(name), CultureInfo.InvariantCulture);
        double Number(string name) => double.Parse(Raw(name), CultureInfo.InvariantCulture);

        return new PipelineSettings(
            Flag(ParameterNames.EnableAutomaticTraining),
            Whole(ParameterNames.AutomaticTrainingPollFrequency),
            Whole(ParameterNames.MinimumUntrainedImages),
            Number(ParameterNames.MinimumF1Score),
            Whole(ParameterNames.MinimumInferenceUnits),
            (float)Number(ParameterNames.MinimumLabelDetectionConfidence),
            Flag(ParameterNames.EnableA2IWorkflow),
            Flag(ParameterNames.EnableAutomaticHumanSampling),
            Whole(ParameterNames.AutomaticHumanSamplingFrequency),
            Whole(ParameterNames.HumanSamplingInterval),
            Raw(ParameterNames.ForSystemUseOnly));
    }
}

/// <summary>Typed reads over <see cref="IParameterStore"/>.</summary>
public static class ParameterStoreExtensions
{
    /// <summary>Reads every parameter as typed settings.</summary>
    public static async Task<PipelineSettings> GetSettingsAsync(this IParameterStore store, CancellationToken cancellationToken = default) =>
        PipelineSettings.From(await store.GetAllAsync(cancellationToken));
}
