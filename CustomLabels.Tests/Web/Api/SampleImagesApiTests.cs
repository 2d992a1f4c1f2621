using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CustomLabels.Tests.Web.Api;

public sealed class SampleImagesApiTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly HttpClient _operator = fixture.App.Client(RunningApp.BootstrapKey);

    [Fact]
    public async Task TheSampleTrainingSetIsAddedOnceAndCountedPerLabel()
    {
        using var first = await _operator.PostAsync("/api/samples/training-images", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var added = await first.Content.ReadFromJsonAsync<JsonObject>();

        using var again = await _operator.PostAsync("/api/samples/training-images", null);
        var repeated = await again.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal((10, 0, 0), ((int)added!["stored"]!, (int)added["unchanged"]!, (int)added["refused"]!));
        Assert.Equal((0, 10), ((int)repeated!["stored"]!, (int)repeated["unchanged"]!));
        var samples = fixture.App.Data.Combine("bucket", "images_labeled_by_folder");
        Assert.Equal(5, Directory.GetFiles(Path.Combine(samples, "godot")).Length);
        Assert.Equal(5, Directory.GetFiles(Path.Combine(samples, "keepassxc")).Length);
    }

    [Fact]
    public async Task AConsumerCannotAddTheSamples()
    {
        var consumer = fixture.App.Client(await fixture.App.CreateKeyAsync("Consumer"));

        using var response = await consumer.PostAsync("/api/samples/training-images", null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
