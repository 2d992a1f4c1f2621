using CustomLabels.Core.Models;

namespace CustomLabels.Tests.Core.Models;

/// <summary>The one split rule by content hash, with and without an earlier test split to keep.</summary>
public sealed class TestSplitTests
{
    /// <summary>Entries of one label whose content hashes fall where the test needs them: below or above the fraction.</summary>
    private static List<ManifestEntry> EntriesAt(string label, int below, int above, double fraction = TestSplit.DefaultTestFraction)
    {
        var entries = new List<ManifestEntry>();
        for (var i = 0; entries.Count(e => TestSplit.HashPosition(e) < fraction) < below || entries.Count(e => TestSplit.HashPosition(e) >= fraction) < above; i++)
        {
            var entry = new ManifestEntry($"images_labeled_by_folder/{label}/{i}.jpg", label, 0, $"{label}-etag-{i}");
            var isBelow = TestSplit.HashPosition(entry) < fraction;
            if (isBelow ? entries.Count(e => TestSplit.HashPosition(e) < fraction) < below : entries.Count(e => TestSplit.HashPosition(e) >= fraction) < above)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    [Fact]
    public void HashPositionIsTheFirstFourBytesOfTheSha256OfTheETag()
    {
        var hash = System.Security.Cryptography.SHA256.HashData("0123abcd"u8);

        Assert.Equal(BitConverter.ToUInt32(hash, 0) / (double)uint.MaxValue, TestSplit.HashPosition("0123abcd"));
        Assert.Equal(TestSplit.HashPosition("0123abcd"), TestSplit.HashPosition(new ManifestEntry("k", "l", 0, "0123abcd")));
        Assert.Equal(TestSplit.HashPosition("k"), TestSplit.HashPosition(new ManifestEntry("k", "l", 0, null)));
    }

    [Fact]
    public void ANewImageIsATestImageWhenItsHashFallsInTheTestFraction()
    {
        var entries = EntriesAt("acme", below: 2, above: 5);

        var (training, test) = TestSplit.Split(entries);

        Assert.Equal(entries.Where(e => TestSplit.HashPosition(e) < 0.2), test);
        Assert.Equal(entries.Where(e => TestSplit.HashPosition(e) >= 0.2), training);
    }

    [Fact]
    public void ALabelOfTwoOrMoreKeepsATestAndATrainingImageAndALabelOfOneTrains()
    {
        var none = EntriesAt("acme", below: 0, above: 3);
        var all = EntriesAt("globex", below: 3, above: 0);
        var single = EntriesAt("hooli", below: 1, above: 0);

        var (training, test) = TestSplit.Split([.. none, .. all, .. single]);

        Assert.Equal([none.MinBy(TestSplit.HashPosition)!], test.Where(e => e.Label == "acme"));
        Assert.Equal([all.MaxBy(TestSplit.HashPosition)!], training.Where(e => e.Label == "globex"));
        Assert.Equal(single, training.Where(e => e.Label == "hooli"));
        Assert.DoesNotContain(test, e => e.Label == "hooli");
    }

    [Fact]
    public void AnImageOfAnEarlierTestSplitStaysATestImageAndTheClampGivesBackANewOneFirst()
    {
        var above = EntriesAt("acme", below: 0, above: 3);
        var kept = above[1];

        var (_, test) = TestSplit.Split(above, stickyTest: new HashSet<string> { kept.ETag! });
        Assert.Equal([kept], test);

        // Two images: the earlier test image and a new one below the fraction. Both would be test images, so the new
        // one goes back to training and the earlier one stays.
        var fresh = EntriesAt("acme", below: 1, above: 0)[0];
        var (training, pair) = TestSplit.Split([kept, fresh], stickyTest: new HashSet<string> { kept.ETag! });
        Assert.Equal([kept], pair);
        Assert.Equal([fresh], training);
    }
}
