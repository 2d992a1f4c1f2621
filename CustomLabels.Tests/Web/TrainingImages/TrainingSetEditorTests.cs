using CustomLabels.Tests.Core.Models;
using System.IO.Compression;
using CustomLabels.Core;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using CustomLabels.Web.Components.Pages.TrainingImages;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Tests.Web.TrainingImages;

public sealed class TrainingSetEditorTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FileObjectStore _store;
    private readonly PipelineEvents _events = new();
    private readonly List<PipelineEvent> _published = [];
    private readonly TrainingSetEditor _editor;

    public TrainingSetEditorTests()
    {
        _store = new FileObjectStore(_temp.Path, NullLogger<FileObjectStore>.Instance);
        _events.Subscribe(_published.Add);
        _editor = new TrainingSetEditor(_store, _events);
    }

    private static byte[] Image(string label, int index) => File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "train", label, $"{label}_{index:00}.jpg"));

    private async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        await foreach (var info in _store.ListAllAsync(BucketLayout.TrainingImages))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    [Fact]
    public async Task AnImageIsStoredUnderTheTypedLabelAndAnnounced()
    {
        var outcomes = await _editor.AddAsync("g1.jpg", new MemoryStream(Image("geany", 1)), " geany ", CancellationToken.None);

        var outcome = Assert.Single(outcomes);
        Assert.Equal("images_labeled_by_folder/geany/g1.jpg", outcome.Key);
        Assert.Equal(["images_labeled_by_folder/geany/g1.jpg"], await KeysAsync());
        Assert.Contains(_published, e => e.Kind == PipelineEventKind.TrainingImages);
    }

    [Fact]
    public async Task AFileThatIsNotAnImageIsRefusedWithItsReasonAndNothingIsWritten()
    {
        var outcomes = await _editor.AddAsync("notes.jpg", new MemoryStream("hello"u8.ToArray()), "geany", CancellationToken.None);

        var outcome = Assert.Single(outcomes);
        Assert.False(outcome.Accepted);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Refusal));
        Assert.Empty(await KeysAsync());
        Assert.Empty(_published);
    }

    [Fact]
    public async Task AnImageWithoutALabelIsRefused()
    {
        var outcome = Assert.Single(await _editor.AddAsync("g1.jpg", new MemoryStream(Image("geany", 1)), "  ", CancellationToken.None));

        Assert.Contains("no label", outcome.Refusal, StringComparison.Ordinal);
        Assert.Empty(await KeysAsync());
    }

    [Fact]
    public async Task AZipOfLabelFoldersAddsEachImageUnderItsFolderAndRefusesTheRest()
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            await WriteEntryAsync(archive, "demo/geany/a.jpg", Image("geany", 1));
            await WriteEntryAsync(archive, "demo/godot/b.jpg", Image("godot", 1));
            await WriteEntryAsync(archive, "loose.jpg", Image("godot", 2));
            await WriteEntryAsync(archive, "demo/godot/readme.jpg", "not an image"u8.ToArray());
        }

        zip.Position = 0;
        var outcomes = await _editor.AddAsync("demo.zip", zip, label: null, CancellationToken.None);

        Assert.Equal(["images_labeled_by_folder/geany/a.jpg", "images_labeled_by_folder/godot/b.jpg"], await KeysAsync());
        Assert.Equal(2, outcomes.Count(o => o.Accepted));
        Assert.Contains(outcomes, o => o.Name == "loose.jpg" && o.Refusal == "not inside a label folder");
        Assert.Contains(outcomes, o => o.Name == "demo/godot/readme.jpg" && !o.Accepted);
    }

    [Fact]
    public async Task AZipEntryWithACorruptLocalHeaderIsRefusedAloneAndTheOtherEntriesAreAdded()
    {
        using var zip = new MemoryStream();
        long second;
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            await WriteEntryAsync(archive, "demo/geany/a.jpg", Image("geany", 1));
            second = zip.Position; // the first entry is written whole; the second's local header starts here
            await WriteEntryAsync(archive, "demo/geany/b.jpg", Image("geany", 2));
            await WriteEntryAsync(archive, "demo/godot/c.jpg", Image("godot", 1));
        }

        var bytes = zip.ToArray();
        Assert.Equal("PK\u0003\u0004"u8.ToArray(), bytes[(int)second..(int)(second + 4)]);
        bytes[second] = (byte)'X';

        var outcomes = await _editor.AddAsync("demo.zip", new MemoryStream(bytes), label: null, CancellationToken.None);

        Assert.Equal(["images_labeled_by_folder/geany/a.jpg", "images_labeled_by_folder/godot/c.jpg"], await KeysAsync());
        var refused = Assert.Single(outcomes, o => !o.Accepted);
        Assert.Equal("demo/geany/b.jpg", refused.Name);
        Assert.Contains("corrupt", refused.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AZipCutShortIsRefusedWholeAndAddsNothing()
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            await WriteEntryAsync(archive, "demo/geany/a.jpg", Image("geany", 1));
            await WriteEntryAsync(archive, "demo/geany/b.jpg", Image("geany", 2));
        }

        var bytes = zip.ToArray();
        var outcome = Assert.Single(await _editor.AddAsync("demo.zip", new MemoryStream(bytes[..(bytes.Length * 2 / 3)]), null, CancellationToken.None));

        Assert.False(outcome.Accepted);
        Assert.Contains("central directory", outcome.Refusal, StringComparison.Ordinal);
        Assert.Empty(await KeysAsync());
    }

    [Fact]
    public async Task AFileNamedZipThatIsNotOneIsRefused()
    {
        var outcome = Assert.Single(await _editor.AddAsync("broken.zip", new MemoryStream("PK nope"u8.ToArray()), null, CancellationToken.None));

        Assert.StartsWith("not a readable zip file", outcome.Refusal, StringComparison.Ordinal);
        Assert.Empty(await KeysAsync());
    }

    [Fact]
    public async Task RenamingALabelMovesEveryImageAndDeletingOneImageLeavesTheOthers()
    {
        await _editor.AddAsync("1.jpg", new MemoryStream(Image("geany", 1)), "geanie", CancellationToken.None);
        await _editor.AddAsync("2.jpg", new MemoryStream(Image("geany", 2)), "geanie", CancellationToken.None);

        var renamed = await _editor.RenameLabelAsync("geanie", "geany", CancellationToken.None);
        Assert.Equal((2, 0), (renamed.Moved, renamed.Kept.Count));
        var set = await TrainingSet.LoadAsync(_store, [], CancellationToken.None);
        Assert.Equal([new LabelSummary("geany", 2, 2)], set.Labels);

        await _editor.DeleteImageAsync(set.ImagesOf("geany")[0], CancellationToken.None);
        Assert.Equal(["images_labeled_by_folder/geany/2.jpg"], await KeysAsync());
    }

    [Fact]
    public async Task RenamingALabelOntoOneWithOtherImagesOfTheSameNameKeepsThemBothAndSaysSo()
    {
        await _editor.AddAsync("same.jpg", new MemoryStream(Image("geany", 1)), "geanie", CancellationToken.None);
        await _editor.AddAsync("twin.jpg", new MemoryStream(Image("geany", 2)), "geanie", CancellationToken.None);
        await _editor.AddAsync("only.jpg", new MemoryStream(Image("geany", 3)), "geanie", CancellationToken.None);
        await _editor.AddAsync("same.jpg", new MemoryStream(Image("geany", 4)), "geany", CancellationToken.None);
        await _editor.AddAsync("twin.jpg", new MemoryStream(Image("geany", 2)), "geany", CancellationToken.None);

        var renamed = await _editor.RenameLabelAsync("geanie", "geany", CancellationToken.None);

        Assert.Equal(2, renamed.Moved);
        Assert.Equal(["same.jpg"], renamed.Kept);
        Assert.Equal(Image("geany", 4), await _store.ReadAllBytesAsync("images_labeled_by_folder/geany/same.jpg"));
        Assert.Equal(Image("geany", 1), await _store.ReadAllBytesAsync("images_labeled_by_folder/geanie/same.jpg"));
        Assert.Equal(
            ["images_labeled_by_folder/geanie/same.jpg", "images_labeled_by_folder/geany/only.jpg", "images_labeled_by_folder/geany/same.jpg", "images_labeled_by_folder/geany/twin.jpg"],
            await KeysAsync());
    }

    [Fact]
    public async Task AnUploadUnderATakenNameIsRefusedAndTheImageThereIsKept()
    {
        await _editor.AddAsync("a.jpg", new MemoryStream(Image("geany", 1)), "geany", CancellationToken.None);

        var again = Assert.Single(await _editor.AddAsync("a.jpg", new MemoryStream(Image("geany", 1)), "geany", CancellationToken.None));
        var other = Assert.Single(await _editor.AddAsync("a.jpg", new MemoryStream(Image("geany", 2)), "geany", CancellationToken.None));

        Assert.True(again.Accepted);
        Assert.False(other.Accepted);
        Assert.Contains("already under 'geany'", other.Refusal, StringComparison.Ordinal);
        Assert.Equal(Image("geany", 1), await _store.ReadAllBytesAsync("images_labeled_by_folder/geany/a.jpg"));
    }

    [Fact]
    public async Task RenamingAnImageOntoAnotherIsRefusedAndKeepsBoth()
    {
        await _editor.AddAsync("1.jpg", new MemoryStream(Image("geany", 1)), "geany", CancellationToken.None);
        await _editor.AddAsync("2.jpg", new MemoryStream(Image("geany", 2)), "geany", CancellationToken.None);
        var set = await TrainingSet.LoadAsync(_store, [], CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _editor.RenameImageAsync(set.ImagesOf("geany")[0], "2.jpg", CancellationToken.None));
        Assert.Equal(2, (await KeysAsync()).Count);
    }

    [Fact]
    public async Task ImagesTheTrainedSetDoesNotCoverAreNewCountedByLabelAndContent()
    {
        await _editor.AddAsync("old.jpg", new MemoryStream(Image("geany", 1)), "geany", CancellationToken.None);
        await _editor.AddAsync("copy-of-old.jpg", new MemoryStream(Image("geany", 1)), "geany", CancellationToken.None);
        await _editor.AddAsync("moved.jpg", new MemoryStream(Image("geany", 2)), "godot", CancellationToken.None);
        await _editor.AddAsync("new.jpg", new MemoryStream(Image("geany", 3)), "geany", CancellationToken.None);
        var old = (await _store.HeadAsync("images_labeled_by_folder/geany/old.jpg"))!.ETag;
        var moved = (await _store.HeadAsync("images_labeled_by_folder/godot/moved.jpg"))!.ETag;

        var set = await TrainingSet.LoadAsync(_store, [("geany", old), ("geany", moved)], CancellationToken.None);

        // One of the two copies was trained; the image now under godot taught geany; new.jpg was never seen.
        Assert.Equal(3, set.NewCount);
        Assert.Equal([new LabelSummary("geany", 3, 2), new LabelSummary("godot", 1, 1)], set.Labels);
        Assert.True(set.ImagesOf("geany").Single(i => i.FileName == "new.jpg").IsNew);
    }

    private static async Task WriteEntryAsync(ZipArchive archive, string name, byte[] content)
    {
        await using var stream = await archive.CreateEntry(name).OpenAsync();
        await stream.WriteAsync(content);
    }

    public void Dispose() => _temp.Dispose();
}
