using CustomLabels.Core;
using CustomLabels.Web.Api.TrainingImages;

namespace CustomLabels.Web.Api.Samples;

/// <summary>
/// The small real image set that ships with the product (<c>samples/</c>, copied beside the application): two
/// labels of clean shots to train a first model with one click, and photos to try detection on.
/// </summary>
internal sealed class SampleImages(TrainingImageUploader uploader, PipelineEvents events)
{
    /// <summary>The folder that holds the samples.</summary>
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "samples");

    /// <summary>Whether the samples shipped with this build.</summary>
    public static bool Available => Directory.Exists(Path.Combine(Folder, "train"));

    /// <summary>The labels of the sample training set.</summary>
    public static IReadOnlyList<string> Labels => Available
        ? [.. Directory.EnumerateDirectories(Path.Combine(Folder, "train")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]
        : [];

    /// <summary>The sample photos to try detection on.</summary>
    public static IReadOnlyList<string> InferenceImages => Directory.Exists(Path.Combine(Folder, "inference"))
        ? [.. Directory.EnumerateFiles(Path.Combine(Folder, "inference")).Order(StringComparer.Ordinal)]
        : [];

    /// <summary>Adds the sample training set to the training set; images already there are reported unchanged.</summary>
    public async Task<IReadOnlyList<UploadResult>> AddTrainingSetAsync(CancellationToken cancellationToken)
    {
        if (!Available)
        {
            throw new InvalidOperationException($"This build has no sample images (looked in {Folder}).");
        }

        var results = new List<UploadResult>();
        foreach (var label in Labels)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Folder, "train", label)).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                await using var content = File.OpenRead(file);
                results.Add(await uploader.AddAsync($"{label}/{name}", label, name, content, cancellationToken));
            }
        }

        if (results.Any(r => r.Status == UploadResult.Stored))
        {
            events.Publish(new PipelineEvent(PipelineEventKind.TrainingImages));
        }

        return results;
    }
}
