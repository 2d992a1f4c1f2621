using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;

namespace CustomLabels.Core.Review;

/// <summary>
/// A human loop's input content and <c>output.json</c> in Amazon A2I's output format: <c>flowDefinitionArn</c>,
/// <c>humanLoopName</c>, <c>inputContent</c> (what the loop was started with) and <c>humanAnswers[]</c>, each with
/// <c>answerContent</c> (<c>{"crowd-image-classifier": {"label": "..."}}</c>, the answer of A2I's image-classifier
/// task), <c>submissionTime</c>, <c>workerId</c> and the rest. The embedded review writes it; the review branch of
/// the workflow reads it, from either backend.
/// <para>
/// The input content's <c>detectedLabels</c> carry each label's region when the model gave one
/// (<c>{"Name", "Confidence", "Geometry": {"BoundingBox": {"Left", "Top", "Width", "Height"}}}</c>).
/// </para>
/// <para>
/// A region the reviewer drew is kept beside the label in <c>answerContent</c>, as the output of a
/// <c>&lt;crowd-bounding-box name="annotatedResult"&gt;</c> element (A2I's and Ground Truth's bounding-box task):
/// <c>"annotatedResult": {"boundingBoxes": [{"label", "left", "top", "width", "height"}], "inputImageProperties": {"width", "height"}}</c>,
/// in pixels of the image. So a whole answer reads
/// <c>{"crowd-image-classifier": {"label": "godot"}, "annotatedResult": {"boundingBoxes": [{"label": "godot", "left": 64, "top": 48, "width": 192, "height": 144}], "inputImageProperties": {"width": 640, "height": 480}}}</c>.
/// <see cref="Parse"/> turns it back into fractions of the image (<see cref="ReviewAnswer.BoundingBox"/>), taking the box
/// labelled with the answer's label, else the first; an answer without <c>annotatedResult</c> has no region.
/// </para>
/// </summary>
public static class HumanLoopOutput
{
    /// <summary>The category a reviewer picks when no label fits.</summary>
    public const string NoneOfTheAbove = "None of the above";

    /// <summary>The answer's element name in A2I's image-classifier task template.</summary>
    public const string ClassifierElement = "crowd-image-classifier";

    /// <summary>The element name, in <c>answerContent</c>, of the reviewer's box (A2I's bounding-box task output).</summary>
    public const string BoundingBoxElement = "annotatedResult";

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
            ["detectedLabels"] = new JsonArray([.. input.Labels.Select(DetectedLabelOf)]),
            ["labels"] = new JsonArray([.. input.KnownLabels.Append(NoneOfTheAbove).Select(l => JsonValue.Create(l))]),
        };
    }

    /// <summary>The <c>output.json</c> document of an answered loop.</summary>
    /// <param name="loop">The loop.</param>
    /// <param name="answer">Its answer; a region in it is written in pixels of <paramref name="imageSize"/>.</param>
    /// <param name="workerId">Who answered.</param>
    /// <param name="acceptedAt">When the task was taken.</param>
    /// <param name="submittedAt">When it was answered.</param>
    /// <param name="imageSize">The reviewed image's width and height in pixels; needed when the answer has a region.</param>
    public static JsonObject Create(
        HumanLoop loop,
        HumanLoopAnswer answer,
        string workerId,
        DateTimeOffset acceptedAt,
        DateTimeOffset submittedAt,
        (int Width, int Height)? imageSize = null)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(answer);
        var content = new JsonObject
        {
            [ClassifierElement] = new JsonObject { ["label"] = answer.NoneOfTheAbove ? NoneOfTheAbove : answer.Label },
        };
        if (answer.BoundingBox is { } box && !answer.NoneOfTheAbove)
        {
            var (width, height) = imageSize is { Width: > 0, Height: > 0 } size
                ? size
                : throw new ArgumentException("An answer with a region needs the image's size in pixels.", nameof(imageSize));
            content[BoundingBoxElement] = new JsonObject
            {
                ["boundingBoxes"] = new JsonArray(new JsonObject
                {
                    ["label"] = answer.Label,
                    ["left"] = Pixels(box.Left, width),
                    ["top"] = Pixels(box.Top, height),
                    ["width"] = Pixels(box.Width, width),
                    ["height"] = Pixels(box.Height, height),
                }),
                ["inputImageProperties"] = new JsonObject { ["width"] = width, ["height"] = height },
            };
        }

        return new JsonObject
        {
            ["flowDefinitionArn"] = loop.FlowDefinitionArn,
            ["humanLoopName"] = loop.HumanLoopName,
            ["inputContent"] = InputContentOf(loop.Input),
            ["humanAnswers"] = new JsonArray(new JsonObject
            {
                ["answerContent"] = content,
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
            Text(answer["submissionTime"]),
            none ? null : RegionOf(answer["answerContent"]?[BoundingBoxElement] as JsonObject, label.Trim()));
    }

    /// <summary>A label of <c>detectedLabels</c>: DetectCustomLabels' shape, with its region when it has one.</summary>
    private static JsonObject DetectedLabelOf(CustomLabel label)
    {
        var node = new JsonObject { ["Name"] = label.Name, ["Confidence"] = label.Confidence };
        if (label.Geometry is { } geometry)
        {
            node["Geometry"] = LabelGeometryJson.Write(geometry);
        }

        return node;
    }

    /// <summary>
    /// The region of a bounding-box task's output, as fractions of the image: the box labelled <paramref name="label"/>,
    /// else the first, cut to the image; null when there is none or it is degenerate.
    /// </summary>
    private static BoundingBox? RegionOf(JsonObject? result, string label)
    {
        var boxes = (result?["boundingBoxes"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var box = boxes.FirstOrDefault(b => string.Equals(Text(b["label"])?.Trim(), label, StringComparison.OrdinalIgnoreCase)) ?? boxes.FirstOrDefault();
        var image = result?["inputImageProperties"];
        if (box is null
            || Number(image?["width"]) is not { } width || width <= 0
            || Number(image?["height"]) is not { } height || height <= 0
            || Number(box["left"]) is not { } left || Number(box["top"]) is not { } top
            || Number(box["width"]) is not { } boxWidth || Number(box["height"]) is not { } boxHeight)
        {
            return null;
        }

        var x0 = Math.Clamp(left / width, 0, 1);
        var y0 = Math.Clamp(top / height, 0, 1);
        var x1 = Math.Clamp((left + boxWidth) / width, 0, 1);
        var y1 = Math.Clamp((top + boxHeight) / height, 0, 1);
        var region = new BoundingBox((float)x0, (float)y0, (float)(x1 - x0), (float)(y1 - y0));
        return region.IsValid ? region : null;
    }

    private static double Pixels(float fraction, int size) => Math.Round((double)fraction * size, 3);

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
        && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? number
            : null;

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
/// <param name="BoundingBox">The region the reviewer drew around what shows the label, as fractions of the image; null when none was drawn.</param>
public sealed record ReviewAnswer(
    string HumanLoopName,
    string? FlowDefinitionArn,
    string ImageKey,
    string? ImageETag,
    string? RequestId,
    HumanLoopReason Reason,
    string? Label,
    string? WorkerId,
    string? SubmissionTime,
    BoundingBox? BoundingBox = null)
{
    /// <summary>True when the reviewer chose none of the above.</summary>
    public bool NoneOfTheAbove => Label is null;
}
