using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Review;

/// <summary>
/// A human loop's input content and <c>output.json</c> in Amazon A2I's output format: <c>flowDefinitionArn</c>,
/// <c>humanLoopName</c>, <c>inputContent</c> (what the loop was started with) and <c>humanAnswers[]</c>, each with
/// <c>answerContent</c> (<c>{"crowd-image-classifier": {"label": "..."}}</c>, the answer of A2I's image-classifier
/// task), <c>submissionTime</c>, <c>workerId</c> and the rest. The embedded review writes it; the review branch of
/// the workflow reads it, from either backend.
/// </summary>
public static class HumanLoopOutput
{
    /// <summary>The category a reviewer picks when no label fits.</summary>
    public const string NoneOfTheAbove = "None of the above";

    /// <summary>The answer's element name in A2I's image-classifier task template.</summary>
    public const string ClassifierElement = "crowd-image-classifier";

    /// <summary>The file name A2I gives every loop's output.</summary>
    public const string FileName = "output.json";

    /// <summary>The key of a loop's output: <c>a2i-human-loop-data/&lt;flow&gt;/YYYY/MM/DD/hh/mm/ss/&lt;loop&gt;/output.json</c>.</summary>
    public static string KeyOf(string flowDefinitionName, string humanLoopName, DateTimeOffset completedAt) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{BucketLayout.HumanLoopOutput}{flowDefinitionName}/{completedAt.UtcDateTime:yyyy'/'MM'/'dd'/'HH'/'mm'/'ss}/{humanLoopName}/{FileName}");

    /// <summary>The input content a loop is started with (A2I's <c>InputContent</c>).</summary>
    /// <param name="input">What the reviewer sees.</param>
    /// <param name="taskObject">The image's URI for a workforce's task template (<c>s3://bucket/key</c>), when known.</param>
    public static JsonObject InputContentOf(HumanLoopInput input, string? taskObject = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new JsonObject
        {
            ["taskObject"] = taskObject ?? input.ImageKey,
            ["imageKey"] = input.ImageKey,
            ["imageETag"] = input.ImageETag,
            ["reason"] = input.Reason.ToString(),
            ["requestId"] = input.RequestId,
            ["detectedLabels"] = new JsonArray([.. input.Labels.Select(l => new JsonObject { ["Name"] = l.Name, ["Confidence"] = l.Confidence })]),
            ["labels"] = new JsonArray([.. input.KnownLabels.Append(NoneOfTheAbove).Select(l => JsonValue.Create(l))]),
        };
    }

    /// <summary>The <c>output.json</c> document of an answered loop.</summary>
    public static JsonObject Create(HumanLoop loop, HumanLoopAnswer answer, string workerId, DateTimeOffset acceptedAt, DateTimeOffset submittedAt)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(answer);
        return new JsonObject
        {
            ["flowDefinitionArn"] = loop.FlowDefinitionArn,
            ["humanLoopName"] = loop.HumanLoopName,
            ["inputContent"] = InputContentOf(loop.Input),
            ["humanAnswers"] = new JsonArray(new JsonObject
            {
                ["answerContent"] = new JsonObject
                {
                    [ClassifierElement] = new JsonObject { ["label"] = answer.NoneOfTheAbove ? NoneOfTheAbove : answer.Label },
                },
                ["acceptanceTime"] = acceptedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["submissionTime"] = submittedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["timeSpentInSeconds"] = Math.Max(0, (submittedAt - acceptedAt).TotalSeconds),
                ["workerId"] = workerId,
                ["workerMetadata"] = new JsonObject
                {
                    ["identityData"] = new JsonObject { ["identityProviderType"] = "CustomLabels", ["sub"] = workerId },
                },
            }),
        };
    }

    /// <summary>Reads an <c>output.json</c>: which loop, what was reviewed and the first answer.</summary>
    /// <exception cref="FormatException">The document is not an A2I output with an image-classifier answer.</exception>
    public static ReviewAnswer Parse(ReadOnlySpan<byte> json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The human loop output is not JSON: {e.Message}", e);
        }

        var loopName = Text(root?["humanLoopName"]) ?? throw new FormatException("The human loop output has no humanLoopName.");
        var input = root?["inputContent"] as JsonObject ?? throw new FormatException($"The output of loop '{loopName}' has no inputContent.");
        var imageKey = Text(input["imageKey"]) ?? throw new FormatException($"The input of loop '{loopName}' names no imageKey.");
        var answer = (root?["humanAnswers"] as JsonArray)?.FirstOrDefault()
            ?? throw new FormatException($"The output of loop '{loopName}' has no humanAnswers.");
        var label = Text(answer["answerContent"]?[ClassifierElement]?["label"])
            ?? throw new FormatException($"The answer of loop '{loopName}' has no {ClassifierElement} label.");
        var none = string.Equals(label.Trim(), NoneOfTheAbove, StringComparison.OrdinalIgnoreCase);
        var reason = Enum.TryParse<HumanLoopReason>(Text(input["reason"]), ignoreCase: true, out var parsed) ? parsed : HumanLoopReason.LowConfidence;
        return new ReviewAnswer(
            loopName,
            Text(root?["flowDefinitionArn"]),
            imageKey,
            Text(input["imageETag"]),
            Text(input["requestId"]),
            reason,
            none ? null : label.Trim(),
            Text(answer["workerId"]),
            Text(answer["submissionTime"]));
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;
}

/// <summary>A loop's answer as read from its output.</summary>
/// <param name="HumanLoopName">The loop.</param>
/// <param name="FlowDefinitionArn">Its flow definition.</param>
/// <param name="ImageKey">The reviewed image under <c>images_for_detection/</c>.</param>
/// <param name="ImageETag">The image's ETag when the loop was started.</param>
/// <param name="RequestId">The detection's request id.</param>
/// <param name="Reason">Low confidence or sampling.</param>
/// <param name="Label">The label given, or null for none of the above.</param>
/// <param name="WorkerId">Who answered.</param>
/// <param name="SubmissionTime">When, as A2I wrote it.</param>
public sealed record ReviewAnswer(
    string HumanLoopName,
    string? FlowDefinitionArn,
    string ImageKey,
    string? ImageETag,
    string? RequestId,
    HumanLoopReason Reason,
    string? Label,
    string? WorkerId,
    string? SubmissionTime)
{
    /// <summary>True when the reviewer chose none of the above.</summary>
    public bool NoneOfTheAbove => Label is null;
}
