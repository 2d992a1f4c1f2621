using System.Security.Cryptography;
using System.Text;

namespace CustomLabels.Core.Storage;

/// <summary>The bucket's prefixes (DESIGN.md section 3). Every backend uses the same layout.</summary>
public static class BucketLayout
{
    /// <summary>The training set; the folder name is the label: <c>images_labeled_by_folder/&lt;label&gt;/&lt;file&gt;</c>.</summary>
    public const string TrainingImages = "images_labeled_by_folder/";

    /// <summary>Images sent by consumers; each new object starts a detection run.</summary>
    public const string DetectionImages = "images_for_detection/";

    /// <summary>A2I output: <c>a2i-human-loop-data/&lt;flow&gt;/YYYY/MM/DD/hh/mm/ss/&lt;loop&gt;/output.json</c>.</summary>
    public const string HumanLoopOutput = "a2i-human-loop-data/";

    /// <summary>
    /// Images a reviewer answered "none of the above": <c>images_rejected/&lt;loop&gt;-&lt;uuid&gt;-&lt;file&gt;</c>. Never a label
    /// folder; the embedded model learns from them as images of no label.
    /// </summary>
    public const string RejectedImages = "images_rejected/";

    /// <summary>Ground Truth manifests: <c>manifests/&lt;version&gt;.manifest</c>.</summary>
    public const string Manifests = "manifests/";

    /// <summary>Evaluation summaries: <c>evaluation/&lt;version&gt;/</c>.</summary>
    public const string Evaluation = "evaluation/";

    /// <summary>Every top-level prefix, created at first start.</summary>
    public static IReadOnlyList<string> Prefixes { get; } =
        [TrainingImages, DetectionImages, HumanLoopOutput, RejectedImages, Manifests, Evaluation];

    /// <summary>The key of a training image.</summary>
    public static string TrainingImageKey(string label, string fileName) =>
        $"{TrainingImages}{ObjectKey.ValidateSegment(label, "label")}/{ObjectKey.ValidateSegment(fileName, "file name")}";

    /// <summary>
    /// The file name a reviewed image is kept under, in its label folder or under <see cref="RejectedImages"/>:
    /// <c>&lt;humanLoopName&gt;-&lt;uuid&gt;-&lt;original name&gt;</c>. The uuid is derived from the loop and the image's key,
    /// so the same answer always names the same file; when the name is longer than a key segment may be, the original
    /// name is shortened from its start (its extension is kept).
    /// </summary>
    /// <exception cref="InvalidObjectKeyException">The loop name alone is too long for a file name.</exception>
    public static string ReviewedImageFileName(string humanLoopName, string imageKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(humanLoopName);
        ArgumentException.ThrowIfNullOrEmpty(imageKey);
        var uuid = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{humanLoopName}\n{imageKey}"))[..16]);
        var original = imageKey[(imageKey.LastIndexOf('/') + 1)..];
        var name = $"{humanLoopName}-{uuid:D}-{original}";
        while (Encoding.UTF8.GetByteCount(name) > ObjectKey.MaxSegmentBytes && original.Length > 1)
        {
            original = original[1..];
            name = $"{humanLoopName}-{uuid:D}-{original}";
        }

        return ObjectKey.ValidateSegment(name, "file name");
    }

    /// <summary>The key of a rejected image: <c>images_rejected/&lt;file&gt;</c>.</summary>
    public static string RejectedImageKey(string fileName) =>
        $"{RejectedImages}{ObjectKey.ValidateSegment(fileName, "file name")}";

    /// <summary>
    /// True when <paramref name="key"/> is a rejected image: directly under <see cref="RejectedImages"/> (as the negatives
    /// manifest takes them), not a hidden file.
    /// </summary>
    public static bool IsRejectedImage(string key) =>
        key.StartsWith(RejectedImages, StringComparison.Ordinal)
        && key.Length > RejectedImages.Length
        && key.IndexOf('/', RejectedImages.Length) < 0
        && key[RejectedImages.Length] != '.';

    /// <summary>The label of a training image key, or null when the key is not a training image.</summary>
    public static string? LabelOf(string key)
    {
        if (!key.StartsWith(TrainingImages, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = key.AsSpan(TrainingImages.Length);
        var slash = rest.IndexOf('/');
        return slash > 0 && rest[(slash + 1)..].IndexOf('/') < 0 && slash < rest.Length - 1 ? rest[..slash].ToString() : null;
    }
}
