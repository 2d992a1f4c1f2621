using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;
using CustomLabels.Tests.Core.Models;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

/// <summary><c>/api/rejected-images</c> and rejected images on <c>/dashboard/images</c>, over real HTTP against the running app.</summary>
public sealed class RejectedImagesApiTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;
    private readonly HttpClient _operator = fixture.App.Client(RunningApp.BootstrapKey);

    private IObjectStore Store => _app.Services.GetRequiredService<IObjectStore>();

    [Fact]
    public async Task RejectedImagesAreListedWithTheirLoopPageByPage()
    {
        var names = new[] { NewName("review-aaa"), NewName("review-bbb"), NewName("review-ccc") };
        foreach (var name in names)
        {
            await Store.PutBytesAsync(BucketLayout.RejectedImageKey(name), Image("geany_01.jpg"));
        }

        var listed = new List<JsonObject>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _operator.GetFromJsonAsync<JsonObject>(
                $"/api/rejected-images?maxResults=2{(token is null ? "" : $"&nextToken={Uri.EscapeDataString(token)}")}");
            var images = page!["images"]!.AsArray();
            Assert.InRange(images.Count, 0, 2);
            listed.AddRange(images.Select(i => i!.AsObject()));
            token = (string?)page["nextToken"];
            pages++;
        }
        while (token is not null && pages < 100);

        Assert.Null(token);
        Assert.True(pages >= 2, $"{pages} page(s)");
        var mine = listed.Where(i => names.Contains((string?)i["fileName"])).ToList();
        Assert.Equal(names, mine.Select(i => (string?)i["fileName"]));
        var first = mine[0];
        Assert.Equal($"images_rejected/{names[0]}", (string?)first["key"]);
        Assert.Equal("review-aaa", (string?)first["humanLoopName"]);
        Assert.Equal(Image("geany_01.jpg").Length, (long)first["size"]!);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse((string)first["lastModified"]!, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromHours(1));
    }

    [Theory]
    [InlineData("/api/rejected-images?nextToken=not-a-token")]
    [InlineData("/api/rejected-images?nextToken=cmVqZWN0ZWQ")]
    [InlineData("/api/rejected-images?maxResults=0")]
    [InlineData("/api/rejected-images?maxResults=1001")]
    public async Task ABadPageTokenOrPageSizeIsRefusedWithProblemDetails(string path)
    {
        using var response = await _operator.GetAsync(path);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DeletingARejectedImageRemovesItAndASecondDeleteIsNotFound()
    {
        var name = NewName("review-del");
        await Store.PutBytesAsync(BucketLayout.RejectedImageKey(name), Image("geany_02.jpg"));

        using (var deleted = await _operator.DeleteAsync($"/api/rejected-images/{Uri.EscapeDataString(name)}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.Null(await Store.HeadAsync(BucketLayout.RejectedImageKey(name)));
        using var again = await _operator.DeleteAsync($"/api/rejected-images/{Uri.EscapeDataString(name)}");
        await AssertProblemAsync(again, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("..%2Fimages_labeled_by_folder%2Fkept%2Fa.jpg")]
    [InlineData("kept%5Ca.jpg")]
    public async Task ANameWithPathCharactersIsRefusedAndDeletesNothing(string encodedName)
    {
        var training = BucketLayout.TrainingImageKey("kept", "a.jpg");
        await Store.PutBytesAsync(training, Image("geany_03.jpg"));

        using var response = await _operator.DeleteAsync($"/api/rejected-images/{encodedName}");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotNull(await Store.HeadAsync(training));
    }

    [Fact]
    public async Task OnlyOperatorsListOrDeleteRejectedImages()
    {
        var name = NewName("review-role");
        await Store.PutBytesAsync(BucketLayout.RejectedImageKey(name), Image("geany_04.jpg"));
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));

        using var list = await reviewer.GetAsync("/api/rejected-images");
        using var delete = await reviewer.DeleteAsync($"/api/rejected-images/{name}");

        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.NotNull(await Store.HeadAsync(BucketLayout.RejectedImageKey(name)));
    }

    [Fact]
    public async Task TheTrainingImagesAnswerCountsNewRejectedImagesTowardTheMinimum()
    {
        var before = await _operator.GetFromJsonAsync<JsonObject>("/api/training-images");
        await Store.PutBytesAsync(BucketLayout.RejectedImageKey(NewName("review-count")), Image("geany_05.jpg"));

        var after = await _operator.GetFromJsonAsync<JsonObject>("/api/training-images");

        Assert.True((bool)after!["learnsFromRejectedImages"]!);
        Assert.Equal((int)before!["rejected"]! + 1, (int)after["rejected"]!);
        Assert.Equal((int)before["untrainedRejected"]! + 1, (int)after["untrainedRejected"]!);
        Assert.Equal((int)before["untrained"]! + 1, (int)after["untrained"]!);
        Assert.Equal((int)before["total"]!, (int)after["total"]!);
    }

    [Fact]
    public async Task TheDashboardServesRejectedImagesToOperatorsAndReviewersOnly()
    {
        var key = BucketLayout.RejectedImageKey(NewName("review-img"));
        await Store.PutBytesAsync(key, Image("geany_06.jpg"));
        var url = $"/dashboard/images?key={Uri.EscapeDataString(key)}";
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));
        var consumer = _app.Client(await _app.CreateKeyAsync("Consumer"));

        Assert.Equal(Image("geany_06.jpg"), await _operator.GetByteArrayAsync(url));
        Assert.Equal(Image("geany_06.jpg"), await reviewer.GetByteArrayAsync(url));
        using var refused = await consumer.GetAsync(url);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var missing = await _operator.GetAsync($"/dashboard/images?key={Uri.EscapeDataString(BucketLayout.RejectedImageKey("gone.jpg"))}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal((int)expected, (int)problem!["status"]!);
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]));
    }

    private static string NewName(string loop) => $"{loop}-{Guid.NewGuid():D}-photo.jpg";

    private static byte[] Image(string name) => File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "train", "geany", name));
}
