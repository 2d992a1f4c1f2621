using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CustomLabels.Tests.Web.Api;

public sealed class ParametersApiTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;

    [Fact]
    public async Task EveryParameterIsListedWithItsValueRangeAndDefault()
    {
        var parameters = await _app.Client(RunningApp.BootstrapKey).GetFromJsonAsync<JsonArray>("/api/parameters");

        var byName = parameters!.ToDictionary(p => (string)p!["name"]!, p => p!.AsObject());
        Assert.Equal(11, byName.Count);
        var f1 = byName["Minimum-F1-Score"];
        Assert.Equal("0.8", (string)f1["defaultValue"]!);
        Assert.Equal("a number from 0 to 1", (string)f1["range"]!);
        Assert.Equal("Number", (string)f1["type"]!);
        Assert.Equal("true", (string)byName["Enable-A2I-Workflow"]["value"]!);
    }

    [Fact]
    public async Task AChangeIsWrittenAndRecordedUnderTheCallersName()
    {
        var key = await _app.CreateKeyAsync("Operator", "rule automation");
        var client = _app.Client(key);

        using var put = await client.PutAsJsonAsync("/api/parameters/Human-Sampling-Interval", new { value = "250" });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var written = await put.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("250", (string)written!["value"]!);
        Assert.Equal("250", (string)(await client.GetFromJsonAsync<JsonObject>("/api/parameters/Human-Sampling-Interval"))!["value"]!);
        var latest = (await client.GetFromJsonAsync<JsonArray>("/api/parameters/Human-Sampling-Interval/history"))![0]!;
        Assert.Equal("api-key:rule automation", (string)latest["changedBy"]!);
        Assert.Equal("250", (string)latest["newValue"]!);
        Assert.Equal((long)written["version"]!, (long)latest["version"]!);
    }

    [Fact]
    public async Task ASignedInOperatorsChangeIsRecordedUnderTheirUserName()
    {
        var client = await _app.SignInAsync(ConfiguredApp.OperatorName, ConfiguredApp.OperatorPassword);

        using var put = await client.PutAsJsonAsync("/api/parameters/Minimum-Label-Detection-Confidence", new { value = "65.5" });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var latest = (await client.GetFromJsonAsync<JsonArray>("/api/parameters/Minimum-Label-Detection-Confidence/history"))![0]!;
        Assert.Equal((ConfiguredApp.OperatorName, "65.5"), ((string)latest["changedBy"]!, (string)latest["newValue"]!));
    }

    [Theory]
    [InlineData("Minimum-F1-Score", "1.5", "a number from 0 to 1")]
    [InlineData("Minimum-F1-Score", "high", "a number from 0 to 1")]
    [InlineData("Automatic-Training-Poll-Frequency", "0", "a whole number of at least 1")]
    [InlineData("Enable-Automatic-Training", "yes", "true or false")]
    public async Task AValueOutOfRangeIsRefusedWith400NamingTheRangeAndNothingIsWritten(string name, string value, string range)
    {
        var client = _app.Client(RunningApp.BootstrapKey);
        var before = await client.GetFromJsonAsync<JsonObject>($"/api/parameters/{name}");
        var historyBefore = await client.GetFromJsonAsync<JsonArray>($"/api/parameters/{name}/history");

        using var put = await client.PutAsJsonAsync($"/api/parameters/{name}", new { value });

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains(range, (string)(await put.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
        var after = await client.GetFromJsonAsync<JsonObject>($"/api/parameters/{name}");
        Assert.Equal(((string)before!["value"]!, (long)before["version"]!), ((string)after!["value"]!, (long)after["version"]!));
        Assert.Equal(historyBefore!.Count, (await client.GetFromJsonAsync<JsonArray>($"/api/parameters/{name}/history"))!.Count);
    }

    [Fact]
    public async Task AnUnknownParameterOrAMissingValueIsRefusedWith400()
    {
        var client = _app.Client(RunningApp.BootstrapKey);

        using var unknown = await client.PutAsJsonAsync("/api/parameters/Maximum-Fun", new { value = "1" });
        using var missing = await client.PutAsJsonAsync("/api/parameters/Minimum-F1-Score", new { other = "1" });

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("Maximum-Fun", (string)(await unknown.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("a number from 0 to 1", (string)(await missing.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
    }
}
