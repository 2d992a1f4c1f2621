using System.Security.Cryptography;
using System.Text;

namespace CustomLabels.Core.Models;

/// <summary>
/// The one rule that splits a labelled image set into a training and a test split, by content hash: the workflow
/// writes its test manifests with it (both backends), and the embedded model's automatic split (when no test manifest
/// is given) follows the same rule. An image is a test image when its content hash (the ETag) falls in the first
/// <c>testFraction</c> of the hash space, so adding images never moves old ones between the splits; images named in
/// <c>stickyTest</c> (an earlier version's test split, by content hash) stay test images. A label with two images or
/// more keeps at least one test image and at least one training image; a label with one image trains on it.
/// </summary>
public static class TestSplit
{
    /// <summary>The share of each label's images that becomes the test split by default: 0.2.</summary>
    public const double DefaultTestFraction = 0.2;

    /// <summary>An entry's identity for the split: its content hash (ETag), or its key when it has none.</summary>
    public static string ContentId(ManifestEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.ETag ?? entry.Key;
    }

    /// <summary>
    /// Where a content hash falls in [0, 1]: the first 4 bytes of the SHA-256 of its UTF-8 text, as an unsigned
    /// integer, over <see cref="uint.MaxValue"/>.
    /// </summary>
    public static double HashPosition(string contentId)
    {
        ArgumentNullException.ThrowIfNull(contentId);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(contentId));
        return BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue;
    }

    /// <summary>Where an entry's content hash falls in [0, 1] (<see cref="HashPosition(string)"/> of its <see cref="ContentId"/>).</summary>
    public static double HashPosition(ManifestEntry entry) => HashPosition(ContentId(entry));

    /// <summary>
    /// Splits <paramref name="entries"/> by label. Within a label, the test split is every entry whose content is in
    /// <paramref name="stickyTest"/> or whose hash position is below <paramref name="testFraction"/>. A label of two
    /// entries or more whose test split came out empty gets its entry with the lowest hash position; one whose every
    /// entry came out test gives back its entry with the highest hash position, preferring one not held by
    /// <paramref name="stickyTest"/>. A label of one entry trains on it.
    /// </summary>
    /// <param name="entries">The labelled images, e.g. a training manifest's entries.</param>
    /// <param name="testFraction">The share of the hash space that goes to test, in (0, 1).</param>
    /// <param name="stickyTest">Content ids (<see cref="ContentId"/>) that were test images before, or null.</param>
    /// <returns>Both splits, each in the order of <paramref name="entries"/>.</returns>
    public static (IReadOnlyList<ManifestEntry> Training, IReadOnlyList<ManifestEntry> Test) Split(
        IReadOnlyList<ManifestEntry> entries,
        double testFraction = DefaultTestFraction,
        IReadOnlySet<string>? stickyTest = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(testFraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(testFraction, 1);
        var test = new HashSet<ManifestEntry>(ReferenceEqualityComparer.Instance);
        foreach (var group in entries.GroupBy(e => e.Label, StringComparer.Ordinal))
        {
            var ordered = group
                .Select(e => (Entry: e, Position: HashPosition(e), Sticky: stickyTest?.Contains(ContentId(e)) == true))
                .OrderBy(e => e.Position).ThenBy(e => e.Entry.Key, StringComparer.Ordinal)
                .ToList();
            if (ordered.Count < 2)
            {
                continue;
            }

            var chosen = ordered.Where(e => e.Sticky || e.Position < testFraction).ToList();
            if (chosen.Count == 0)
            {
                chosen.Add(ordered[0]);
            }
            else if (chosen.Count == ordered.Count)
            {
                var back = chosen.Where(e => !e.Sticky).DefaultIfEmpty(chosen[^1]).Last();
                chosen.Remove(back);
            }

            test.UnionWith(chosen.Select(e => e.Entry));
        }

        return ([.. entries.Where(e => !test.Contains(e))], [.. entries.Where(test.Contains)]);
    }
}
