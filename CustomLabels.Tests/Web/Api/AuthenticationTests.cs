using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace CustomLabels.Tests.Web.Api;

/// <summary>One app for the class: a bootstrap key and a configured first operator.</summary>
public sealed class ConfiguredApp : IAsyncLifetime
{
    public const string OperatorName = "olivia";
    public const string OperatorPassword = "olivia-password-1";

    public RunningApp App { get; private set; } = null!;

    public async Task InitializeAsync() => App = await RunningApp.StartAsync(new Dictionary<string, string>
    {
        ["CustomLabels:BootstrapApiKey"] = RunningApp.BootstrapKey,
        ["CustomLabels:InitialOperator:UserName"] = OperatorName,
        ["CustomLabels:InitialOperator:Password"] = OperatorPassword,
        ["CustomLabels:Api:MaxUploadBytes"] = "1048576",
        // The class's tests sign in wrongly on purpose, from one address and in any order: throttling has its own tests.
        ["CustomLabels:SignIn:MaxFailuresPerUser"] = "1000",
        ["CustomLabels:SignIn:MaxFailuresPerAddress"] = "1000",
    });

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class AuthenticationTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;

    [Theory]
    [InlineData("GET", "/api/parameters")]
    [InlineData("GET", "/api/account")]
    [InlineData("POST", "/api/detect")]
    [InlineData("GET", "/api/human-loops")]
    [InlineData("GET", "/openapi/v1.json")]
    [InlineData("GET", "/")]
    public async Task AnonymousCallsAreRefusedWith401ProblemDetails(string method, string path)
    {
        using var response = await _app.Client().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(401, (int)problem!["status"]!);
    }

    [Fact]
    public async Task ABrowserWithoutSignInIsSentToTheSignInPage()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await _app.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/sign-in", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/account/sign-in")]
    public async Task HealthAndSignInAreReachableAnonymously(string path)
    {
        using var response = await _app.Client().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadinessReportsTheDatabase()
    {
        var health = await _app.Client().GetFromJsonAsync<JsonObject>("/health");

        Assert.Equal("Healthy", (string)health!["status"]!);
        Assert.Equal("Healthy", (string)health["checks"]!["database"]!["status"]!);
    }

    [Fact]
    public async Task TheBootstrapKeyFromConfigurationActsAsAnOperator()
    {
        var caller = await _app.Client(RunningApp.BootstrapKey).GetFromJsonAsync<JsonObject>("/api/account");

        Assert.Equal("Operator", (string)caller!["role"]!);
        Assert.Equal("bootstrap-api-key", (string)caller["name"]!);
    }

    [Fact]
    public async Task AnUnknownKeyIsRefusedWith401()
    {
        using var response = await _app.Client("clk_not-a-key-anyone-made").GetAsync("/api/account");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("ApiKey", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConsumerKeyIsForbiddenFromOperatorAndReviewerEndpointsWith403()
    {
        var consumer = _app.Client(await _app.CreateKeyAsync("Consumer"));

        Assert.Equal("Consumer", (string)(await consumer.GetFromJsonAsync<JsonObject>("/api/account"))!["role"]!);
        foreach (var path in new[] { "/api/keys", "/api/parameters", "/api/executions", "/api/training-images", "/api/human-loops", "/api/users" })
        {
            using var response = await consumer.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal(403, (int)problem!["status"]!);
        }
    }

    [Fact]
    public async Task AReviewerKeyMayNotDetectNorUploadTrainingImages()
    {
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));

        using var detect = await reviewer.PostAsync("/api/detect", new MultipartFormDataContent());
        using var upload = await reviewer.PostAsync("/api/training-images/geany", new MultipartFormDataContent());

        Assert.Equal(HttpStatusCode.Forbidden, detect.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
    }

    [Fact]
    public async Task ApiKeysAreKeptOnlyAsHashesAtRest()
    {
        var key = await _app.CreateKeyAsync("Consumer", "hash check");
        var listed = await _app.Client(RunningApp.BootstrapKey).GetStringAsync("/api/keys");

        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(_app.Data.Path, "customlabels.db*"))
        {
            var bytes = await ReadSharedAsync(file);
            Assert.DoesNotContain(key, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            Assert.DoesNotContain(key, Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
        }

        await using var connection = new SqliteConnection($"Data Source={_app.DatabaseFile};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key_hash FROM api_keys WHERE name = 'hash check';";
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key))), (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ARevokedKeyIsRefusedFromThenOn()
    {
        var key = await _app.CreateKeyAsync("Consumer", "to revoke");
        var client = _app.Client(key);
        using (var before = await client.GetAsync("/api/account"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var operatorClient = _app.Client(RunningApp.BootstrapKey);
        var keys = await operatorClient.GetFromJsonAsync<JsonArray>("/api/keys");
        var id = (string)keys!.Single(k => (string)k!["name"]! == "to revoke")!["id"]!;
        using (var revoke = await operatorClient.DeleteAsync($"/api/keys/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
            Assert.NotNull((await revoke.Content.ReadFromJsonAsync<JsonObject>())!["revokedAt"]);
        }

        using var after = await client.GetAsync("/api/account");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task TheConfiguredOperatorSignsInWithACookie()
    {
        var client = await _app.SignInAsync(ConfiguredApp.OperatorName, ConfiguredApp.OperatorPassword);

        var caller = await client.GetFromJsonAsync<JsonObject>("/api/account");
        Assert.Equal(ConfiguredApp.OperatorName, (string)caller!["name"]!);
        Assert.Equal("Operator", (string)caller["role"]!);
        using var keys = await client.GetAsync("/api/keys");
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Theory]
    [InlineData("/review\u0001x")]
    [InlineData("/review\r\nLocation: https://evil.example")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("https://evil.example/")]
    [InlineData("/caf\u00e9")]
    public async Task AReturnUrlThatIsNotPlainlyLocalLeadsHomeAndNeverFails(string returnUrl)
    {
        Assert.Equal("/", CustomLabels.Web.Authentication.AccountEndpoints.LocalOrHome(returnUrl));
        using var response = await RunningApp.PostPageFormAsync(
            _app.Client(), "/account/sign-in", "/account/sign-in",
            new Dictionary<string, string> { ["userName"] = ConfiguredApp.OperatorName, ["password"] = "not-the-password", ["returnUrl"] = returnUrl });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("name=\"returnUrl\" value=\"/\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/review")]
    [InlineData("/training-images?label=godot&page=2")]
    public void AReturnUrlOnThisSiteIsKept(string returnUrl) =>
        Assert.Equal(returnUrl, CustomLabels.Web.Authentication.AccountEndpoints.LocalOrHome(returnUrl));

    [Fact]
    public async Task AWrongPasswordSignsNobodyIn()
    {
        var client = _app.Client();
        using var response = await RunningApp.PostPageFormAsync(
            client, "/account/sign-in", "/account/sign-in",
            new Dictionary<string, string> { ["userName"] = ConfiguredApp.OperatorName, ["password"] = "not-the-password" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("wrong", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var after = await client.GetAsync("/api/account");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task ASignInFormWithoutItsAntiforgeryTokenIsRefused()
    {
        using var response = await _app.Client().PostAsync("/account/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = ConfiguredApp.OperatorName,
            ["password"] = ConfiguredApp.OperatorPassword,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies.Where(c => c.StartsWith(".CustomLabels.SignIn", StringComparison.Ordinal)) : []);
    }

    [Fact]
    public async Task AUserCreatedByAnOperatorGetsExactlyTheirRole()
    {
        var operatorClient = _app.Client(RunningApp.BootstrapKey);
        using (var created = await operatorClient.PostAsJsonAsync("/api/users", new { userName = "rita", password = "rita-password-1", role = "Reviewer" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var again = await operatorClient.PostAsJsonAsync("/api/users", new { userName = "RITA", password = "another-password", role = "Consumer" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        var rita = await _app.SignInAsync("rita", "rita-password-1");
        Assert.Equal("Reviewer", (string)(await rita.GetFromJsonAsync<JsonObject>("/api/account"))!["role"]!);
        using var forbidden = await rita.GetAsync("/api/parameters");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Theory]
    [InlineData("{\"userName\":\"shorty\",\"password\":\"short\",\"role\":\"Consumer\"}", "password")]
    [InlineData("{\"userName\":\"\",\"password\":\"long-enough-1\",\"role\":\"Consumer\"}", "user name")]
    [InlineData("{\"userName\":\"roleless\",\"password\":\"long-enough-1\",\"role\":\"Admin\"}", "not a role")]
    public async Task AnUnacceptableUserIsRefusedWith400AndNotCreated(string body, string reason)
    {
        var operatorClient = _app.Client(RunningApp.BootstrapKey);
        using var response = await operatorClient.PostAsync("/api/users", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
        var users = await operatorClient.GetFromJsonAsync<JsonArray>("/api/users");
        Assert.DoesNotContain(users!, u => (string)u!["userName"]! is "shorty" or "roleless");
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
