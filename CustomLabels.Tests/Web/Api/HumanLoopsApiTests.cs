using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

public sealed class HumanLoopsApiTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;

    [Fact]
    public async Task AReviewerListsOpenLoopsAndAnswersOnceThenGets409()
    {
        var name = await StartLoopAsync();
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));

        var open = await reviewer.GetFromJsonAsync<JsonObject>("/api/human-loops?status=InProgress&maxResults=100");
        Assert.Contains(open!["humanLoops"]!.AsArray(), l => (string)l!["humanLoopName"]! == name);

        using var answered = await reviewer.PostAsJsonAsync($"/api/human-loops/{name}/answer", new { label = "geany" });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var loop = await answered.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("Completed", (string)loop!["status"]!);
        Assert.StartsWith("api-key:", (string)loop["answeredBy"]!, StringComparison.Ordinal);

        using var again = await reviewer.PostAsJsonAsync($"/api/human-loops/{name}/answer", new { noneOfTheAbove = true });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        var completed = await reviewer.GetFromJsonAsync<JsonObject>($"/api/human-loops/{name}");
        Assert.Equal("geany", (string)completed!["answer"]!["label"]!);
    }

    [Fact]
    public async Task AnOperatorMayAnswerNoneOfTheAboveAndAConsumerMayNotAnswer()
    {
        var name = await StartLoopAsync();
        var consumer = _app.Client(await _app.CreateKeyAsync("Consumer"));

        using var forbidden = await consumer.PostAsJsonAsync($"/api/human-loops/{name}/answer", new { noneOfTheAbove = true });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        using var answered = await _app.Client(RunningApp.BootstrapKey).PostAsJsonAsync($"/api/human-loops/{name}/answer", new { noneOfTheAbove = true });
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.True((bool)(await answered.Content.ReadFromJsonAsync<JsonObject>())!["answer"]!["noneOfTheAbove"]!);
    }

    [Fact]
    public async Task AnAnswerForAnUnknownLoopIs404()
    {
        using var response = await _app.Client(RunningApp.BootstrapKey).PostAsJsonAsync("/api/human-loops/no-such-loop/answer", new { label = "geany" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<string> StartLoopAsync()
    {
        var name = $"loop-{Guid.NewGuid():N}"[..20];
        await _app.Services.GetRequiredService<IHumanReview>().StartHumanLoopAsync(new StartHumanLoopRequest(
            name,
            new HumanLoopInput($"images_for_detection/{name}.jpg", [new CustomLabel("geany", 41.5f)], HumanLoopReason.LowConfidence, null, ["geany", "godot"])));
        return name;
    }
}
