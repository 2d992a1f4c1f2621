using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Tests.Core.Models;

namespace CustomLabels.Tests.Web.Api;

public sealed class TrainingImagesUploadTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;
    private readonly HttpClient _operator = fixture.App.Client(RunningApp.BootstrapKey);

    [Fact]
    public async Task FilesAreStoredUnderTheLabelInThePathAndCounted()
    {
        var label = NewLabel();
        using var response = await _operator.PostAsync($"/api/training-images/{label}", Files(
            ("geany_01.jpg", Image("geany_01.jpg")),
            ("geany_02.jpg", Image("geany_02.jpg"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(2, (int)body!["stored"]!);
        Assert.Equal(
            Image("geany_01.jpg"),
            await File.ReadAllBytesAsync(BucketFile("images_labeled_by_folder", label, "geany_01.jpg")));
        Assert.Equal(2, await CountAsync(label));
    }

    [Fact]
    public async Task NewImagesCountAsUntrainedAgainstTheMinimum()
    {
        var before = await _operator.GetFromJsonAsync<JsonObject>("/api/training-images");
        using (var upload = await _operator.PostAsync($"/api/training-images/{NewLabel()}", Files(("a.jpg", Image("geany_04.jpg")), ("b.jpg", Image("geany_05.jpg")))))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }

        var after = await _operator.GetFromJsonAsync<JsonObject>("/api/training-images");
        Assert.Equal((int)before!["untrained"]! + 2, (int)after!["untrained"]!);
        Assert.Equal((int)before["total"]! + 2, (int)after["total"]!);
        Assert.Equal(10, (int)after["minimumUntrainedImages"]!);
    }

    [Fact]
    public async Task TheSameImageAgainIsUnchangedAndOtherContentUnderTheSameNameIsRefused()
    {
        var label = NewLabel();
        using (var first = await _operator.PostAsync($"/api/training-images/{label}", Files(("a.jpg", Image("geany_01.jpg")))))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var again = await _operator.PostAsync($"/api/training-images/{label}", Files(
            ("a.jpg", Image("geany_01.jpg")),
            ("b.jpg", Image("geany_02.jpg"))));
        var body = await again.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal((1, 1), ((int)body!["stored"]!, (int)body["unchanged"]!));

        using var clash = await _operator.PostAsync($"/api/training-images/{label}", Files(("a.jpg", Image("geany_03.jpg"))));
        Assert.Equal(HttpStatusCode.Conflict, clash.StatusCode);
        Assert.Equal(
            Image("geany_01.jpg"),
            await File.ReadAllBytesAsync(BucketFile("images_labeled_by_folder", label, "a.jpg")));
    }

    [Fact]
    public async Task ConcurrentUploadsOfDifferentImagesUnderOneNameStoreExactlyOneAndRefuseTheRestWith409()
    {
        var images = Directory.EnumerateFiles(Path.Combine(ModelTestEnvironment.LogosDev, "train"), "*.jpg", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Take(50)
            .Select(File.ReadAllBytes)
            .ToList();
        Assert.Equal(50, images.Select(Convert.ToHexString).Distinct().Count());

        // Several rounds, each of 50 uploads released at once, so that a check and a write that are not one step meet.
        for (var round = 0; round < 4; round++)
        {
            var label = NewLabel();
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var uploads = images.Select(async bytes =>
            {
                await go.Task;
                using var response = await _operator.PostAsync($"/api/training-images/{label}", Files(("same.jpg", bytes)));
                return (response.StatusCode, Body: await response.Content.ReadFromJsonAsync<JsonObject>(), Bytes: bytes);
            }).ToList();
            go.SetResult();
            var answers = await Task.WhenAll(uploads);

            var winner = Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            Assert.Equal(1, (int)winner.Body!["stored"]!);
            Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a =>
            {
                Assert.Equal(HttpStatusCode.Conflict, a.StatusCode);
                Assert.Equal("exists", (string?)a.Body!["results"]![0]!["refusal"]);
            });
            Assert.Equal(winner.Bytes, await File.ReadAllBytesAsync(BucketFile("images_labeled_by_folder", label, "same.jpg")));
            Assert.Equal(["same.jpg"], Directory.GetFiles(BucketFile("images_labeled_by_folder", label)).Select(Path.GetFileName));
        }
    }

    [Fact]
    public async Task AZipOfLabelFoldersStoresEachImageUnderItsFolder()
    {
        var (first, second) = (NewLabel(), NewLabel());
        var zip = Zip(
            ($"dataset/{first}/one.jpg", Image("geany_01.jpg")),
            ($"dataset/{first}/two.jpg", Image("geany_02.jpg")),
            ($"dataset/{second}/three.jpg", Image("geany_03.jpg")),
            ("__MACOSX/dataset/._one.jpg", [0, 5, 22, 7]));

        using var response = await _operator.PostAsync("/api/training-images", Files(("set.zip", zip)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal((3, 1), ((int)body!["stored"]!, (int)body["refused"]!));
        Assert.Equal(2, await CountAsync(first));
        Assert.Equal(1, await CountAsync(second));
    }

    [Fact]
    public async Task AZipEntryWithACorruptLocalHeaderIsRefusedAloneAndTheOtherEntriesAreStored()
    {
        var label = NewLabel();
        var (zip, offsets) = ZipWithOffsets(
            ($"{label}/one.jpg", Image("geany_01.jpg")),
            ($"{label}/two.jpg", Image("geany_02.jpg")),
            ($"{label}/three.jpg", Image("geany_03.jpg")));
        Assert.Equal("PK\u0003\u0004"u8.ToArray(), zip[offsets[1]..(offsets[1] + 4)]);
        zip[offsets[1]] = (byte)'X'; // the second entry's local header signature
        zip[offsets[1] + 26] = 0xFF; // and its file name length
        zip[offsets[1] + 27] = 0xFF;

        using var response = await _operator.PostAsync("/api/training-images", Files(("set.zip", zip)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal((2, 1), ((int)body!["stored"]!, (int)body["refused"]!));
        var refused = body["results"]!.AsArray().Single(r => (string)r!["status"]! == "refused")!;
        Assert.Equal($"set.zip/{label}/two.jpg", (string)refused["name"]!);
        Assert.Equal("corrupt-zip", (string)refused["refusal"]!);
        Assert.Contains("corrupt", (string)refused["reason"]!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["one.jpg", "three.jpg"], Directory.GetFiles(BucketFile("images_labeled_by_folder", label)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("central-directory")]
    public async Task AZipWhoseCentralDirectoryIsMissingOrCorruptIsRefusedWith400AndStoresNothing(string damage)
    {
        var label = NewLabel();
        var (zip, _) = ZipWithOffsets(
            ($"{label}/one.jpg", Image("geany_01.jpg")),
            ($"{label}/two.jpg", Image("geany_02.jpg")));
        if (damage == "truncated")
        {
            zip = zip[..(zip.Length * 2 / 3)];
        }
        else
        {
            // The second central directory header's signature: the end record still points at a directory, which is corrupt.
            var central = LastIndexOf(zip, "PK\u0001\u0002"u8.ToArray());
            zip[central] = (byte)'X';
        }

        using var response = await _operator.PostAsync("/api/training-images", Files(("set.zip", zip)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Contains("central directory", (string)problem!["detail"]!, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("corrupt-zip", (string)problem["results"]![0]!["refusal"]!);
        Assert.Equal(0, await CountAsync(label));
        Assert.False(Directory.Exists(BucketFile("images_labeled_by_folder", label)));
    }

    [Fact]
    public async Task HostileNamesAreRefusedFileByFileAndNothingLandsOutsideTheBucket()
    {
        var label = NewLabel();
        var zip = Zip(
            ("../../escaped.jpg", Image("geany_01.jpg")),
            ("/etc/absolute.jpg", Image("geany_01.jpg")),
            ("good\\..\\..\\backslash.jpg", Image("geany_01.jpg")),
            ($"{label}/fine.jpg", Image("geany_02.jpg")));

        using var response = await _operator.PostAsync($"/api/training-images/{label}", Files(
            ("../traversal.jpg", Image("geany_03.jpg")),
            ("..", Image("geany_03.jpg")),
            ("hostile.zip", zip)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonObject>())!["results"]!.AsArray();
        Assert.Equal(5, results.Count(r => (string)r!["status"]! == "refused" && (string)r["refusal"]! == "name"));
        Assert.All(results.Where(r => (string)r!["status"]! == "refused"), r => Assert.False(string.IsNullOrEmpty((string?)r!["reason"])));
        Assert.Equal(["fine.jpg"], Directory.GetFiles(BucketFile("images_labeled_by_folder", label)).Select(Path.GetFileName));
        Assert.DoesNotContain(
            Directory.GetFiles(_app.Data.Path, "*.jpg", SearchOption.AllDirectories),
            f => !f.Contains($"{Path.DirectorySeparatorChar}bucket{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "escaped.jpg")));
    }

    [Theory]
    [InlineData("a%5Cb")]
    [InlineData("a%2Fb")]
    [InlineData("%20")]
    public async Task ALabelWithPathCharactersIsRefusedWith400(string label)
    {
        using var response = await _operator.PostAsync($"/api/training-images/{label}", Files(("a.jpg", Image("geany_01.jpg"))));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Contains("label", (string)problem!["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilesThatAreNotImagesAreRefusedWith415AndAReasonEach()
    {
        var label = NewLabel();
        using var response = await _operator.PostAsync($"/api/training-images/{label}", Files(
            ("notes.jpg", Encoding.UTF8.GetBytes("not an image at all")),
            ("truncated.jpg", Image("geany_01.jpg")[..64])));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        var results = problem!["results"]!.AsArray();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal("not-an-image", (string)r!["refusal"]!));
        Assert.Equal(0, await CountAsync(label));
    }

    [Fact]
    public async Task AMixedUploadStoresTheImagesAndListsWhatWasRefused()
    {
        var label = NewLabel();
        using var response = await _operator.PostAsync($"/api/training-images/{label}", Files(
            ("good.jpg", Image("geany_01.jpg")),
            ("bad.txt", Encoding.UTF8.GetBytes("plain text"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonObject>())!["results"]!.AsArray();
        Assert.Equal("stored", (string)results.Single(r => (string)r!["name"]! == "good.jpg")!["status"]!);
        Assert.Equal("refused", (string)results.Single(r => (string)r!["name"]! == "bad.txt")!["status"]!);
        Assert.Equal(1, await CountAsync(label));
    }

    [Fact]
    public async Task AnUploadOverTheConfiguredSizeIsRefusedWith413AndStoresNothing()
    {
        var label = NewLabel();
        var images = Enumerable.Range(1, 8).Select(i => ($"big_{i}.jpg", Image($"geany_0{i}.jpg"))).ToList();
        var padding = new byte[1024 * 1024]; // the fixture allows 1 MiB in all
        images.Add(("padding.jpg", padding));

        using var response = await _operator.PostAsync($"/api/training-images/{label}", Files([.. images]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("MaxUploadBytes", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(label));
    }

    [Fact]
    public async Task AChunkedUploadOverTheConfiguredSizeIsRefusedWith413Too()
    {
        var label = NewLabel();
        var content = Files(("padding.jpg", new byte[1536 * 1024]));
        await content.LoadIntoBufferAsync();
        var chunked = new StreamContent(await content.ReadAsStreamAsync());
        chunked.Headers.ContentType = content.Headers.ContentType;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/training-images/{label}") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _operator.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await CountAsync(label));
    }

    [Fact]
    public async Task AnUploadWithoutFilesOrNotAsAFormIsRefused()
    {
        using var empty = await _operator.PostAsync($"/api/training-images/{NewLabel()}", new MultipartFormDataContent { { new StringContent("x"), "other" } });
        using var json = await _operator.PostAsJsonAsync($"/api/training-images/{NewLabel()}", new { files = "no" });

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
    }

    private static string NewLabel() => $"label-{Guid.NewGuid():N}"[..16];

    private static byte[] Image(string name) => File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "train", "geany", name));

    private string BucketFile(params string[] parts) => Path.Combine([_app.Data.Path, "bucket", .. parts]);

    private async Task<int> CountAsync(string label)
    {
        var listing = await _operator.GetFromJsonAsync<JsonObject>("/api/training-images");
        var entry = listing!["labels"]!.AsArray().SingleOrDefault(l => (string)l!["label"]! == label);
        return entry is null ? 0 : (int)entry["count"]!;
    }

    private static MultipartFormDataContent Files(params (string Name, byte[] Bytes)[] files)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue(name.EndsWith(".zip", StringComparison.Ordinal) ? "application/zip" : "image/jpeg");
            part.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"files\"", FileName = $"\"{name}\"" };
            content.Add(part);
        }

        return content;
    }

    /// <summary>A zip, and where each entry's local header starts in it.</summary>
    private static (byte[] Zip, int[] Offsets) ZipWithOffsets(params (string Path, byte[] Bytes)[] entries)
    {
        using var buffer = new MemoryStream();
        var offsets = new List<int>();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, bytes) in entries)
            {
                // The previous entry is written whole when its stream is closed, so the next header starts here.
                offsets.Add((int)buffer.Position);
                using var stream = archive.CreateEntry(path).Open();
                stream.Write(bytes);
            }
        }

        return (buffer.ToArray(), [.. offsets]);
    }

    private static int LastIndexOf(byte[] bytes, byte[] value) => bytes.AsSpan().LastIndexOf(value);

    private static byte[] Zip(params (string Path, byte[] Bytes)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, bytes) in entries)
            {
                using var stream = archive.CreateEntry(path).Open();
                stream.Write(bytes);
            }
        }

        return buffer.ToArray();
    }
}
