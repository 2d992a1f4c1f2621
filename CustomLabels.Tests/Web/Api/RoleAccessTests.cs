using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CustomLabels.Core.Storage;
using CustomLabels.Tests.Core.Models;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

/// <summary>
/// Who may see which image on <c>/dashboard/images</c>: training images Operators only; a detection image its sender,
/// Reviewers once it has a loop, and Operators. Detections are attributed to the key or user that sent them, not to a name.
/// </summary>
public sealed class DashboardImageAccessTests(TrainedApp fixture) : IClassFixture<TrainedApp>
{
    private readonly RunningApp _app = fixture.App;

    [Fact]
    public async Task ATrainingImageIsServedToOperatorsOnly()
    {
        var listing = await _app.Services.GetRequiredService<IObjectStore>().ListAsync(BucketLayout.TrainingImages);
        var key = listing.Objects[0].Key;
        var consumer = _app.Client(await _app.CreateKeyAsync("Consumer"));
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));

        Assert.Equal(HttpStatusCode.OK, await StatusOfImageAsync(fixture.Operator, key));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfImageAsync(consumer, key));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfImageAsync(reviewer, key));
    }

    [Fact]
    public async Task ADetectionImageIsServedToItsSenderAndOperatorsButNotToAnotherConsumerNorToAReviewerWithoutALoop()
    {
        var sender = _app.Client(await _app.CreateKeyAsync("Consumer"));
        var other = _app.Client(await _app.CreateKeyAsync("Consumer"));
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));
        await SetThresholdAsync("0");
        try
        {
            var (key, loop) = await DetectAsync(sender, TrainedApp.DemoImage("godot", 3));
            Assert.Null(loop);

            Assert.Equal(HttpStatusCode.OK, await StatusOfImageAsync(sender, key));
            Assert.Equal(HttpStatusCode.OK, await StatusOfImageAsync(fixture.Operator, key));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfImageAsync(other, key));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfImageAsync(reviewer, key));
        }
        finally
        {
            await SetThresholdAsync("70");
        }
    }

    [Fact]
    public async Task AReviewerSeesADetectionImageWhileItsLoopIsOpenAndAfterItIsAnswered()
    {
        var sender = _app.Client(await _app.CreateKeyAsync("Consumer"));
        var other = _app.Client(await _app.CreateKeyAsync("Consumer"));
        var reviewer = _app.Client(await _app.CreateKeyAsync("Reviewer"));

        // img_07 of the demo inference set shows a brand the demo set does not teach: it goes to review.
        var (key, loop) = await DetectAsync(sender, File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "demo", "inference", "img_07.jpg")));
        Assert.NotNull(loop);

        Assert.Equal(HttpStatusCode.OK, await StatusOfImageAsync(reviewer, key));
        using (var answer = await reviewer.PostAsJsonAsync($"/api/human-loops/{loop}/answer", new { noneOfTheAbove = true }))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, await StatusOfImageAsync(reviewer, key));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfImageAsync(other, key));
    }

    [Fact]
    public async Task KeysThatShareANameDoNotShareDetections()
    {
        var sender = _app.Client(await _app.CreateKeyAsync("Consumer", "twin"));

        // A database from before key names were unique may hold two keys with one name.
        var twin = "clk_twin-written-before-names-were-unique-0123456789";
        await using (var connection = new SqliteConnection($"Data Source={_app.DatabaseFile};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO api_keys (id, name, role, key_hash, prefix, created_at, created_by)
                VALUES ('twin-id', 'twin', 'Consumer', $hash, 'clk_twin', '2026-01-01T00:00:00.0000000Z', 'test');
                """;
            insert.Parameters.AddWithValue("$hash", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(twin))));
            await insert.ExecuteNonQueryAsync();
        }

        var sameName = _app.Client(twin);
        Assert.Equal("api-key:twin", (string)(await sameName.GetFromJsonAsync<JsonObject>("/api/account"))!["name"]!);
        await SetThresholdAsync("0");
        try
        {
            var (key, _) = await DetectAsync(sender, TrainedApp.DemoImage("godot", 4));

            Assert.Equal(HttpStatusCode.OK, await StatusOfImageAsync(sender, key));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusOfImageAsync(sameName, key));
        }
        finally
        {
            await SetThresholdAsync("70");
        }
    }

    private async Task SetThresholdAsync(string value)
    {
        using var response = await fixture.Operator.PutAsJsonAsync("/api/parameters/Minimum-Label-Detection-Confidence", new { value });
        response.EnsureSuccessStatusCode();
    }

    private static async Task<(string Key, string? Loop)> DetectAsync(HttpClient client, byte[] image)
    {
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(image);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        content.Add(part, "image", "shot.jpg");
        using var response = await client.PostAsync("/api/detect", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonObject>();
        return ((string)result!["objectKey"]!, (string?)result["humanLoopName"]);
    }

    private static async Task<HttpStatusCode> StatusOfImageAsync(HttpClient client, string key)
    {
        using var response = await client.GetAsync($"/dashboard/images?key={Uri.EscapeDataString(key)}");
        return response.StatusCode;
    }
}

/// <summary>Where each role lands, names that would pass for another caller, and signing out.</summary>
public sealed class RoleSessionTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly RunningApp _app = fixture.App;

    [Theory]
    [InlineData("Consumer", "/detect")]
    [InlineData("Reviewer", "/review")]
    public async Task HomeSendsEachRoleToItsLandingPage(string role, string landing)
    {
        var name = $"home-{role.ToLowerInvariant()}";
        await CreateUserAsync(name, role);
        var client = await _app.SignInAsync(name, "landing-password-1");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await client.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(landing, new Uri(_app.BaseAddress, response.Headers.Location!).AbsolutePath);
    }

    [Fact]
    public async Task AKeyNameThatIsTakenIsRefusedWith409()
    {
        var operatorClient = _app.Client(RunningApp.BootstrapKey);
        using (var first = await operatorClient.PostAsJsonAsync("/api/keys", new { name = "line-3 camera", role = "Consumer" }))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using var second = await operatorClient.PostAsJsonAsync("/api/keys", new { name = "Line-3 Camera", role = "Consumer" });

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("line-3 camera", (string)(await second.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.OrdinalIgnoreCase);
        var keys = await operatorClient.GetFromJsonAsync<JsonArray>("/api/keys");
        Assert.Single(keys!, k => string.Equals((string)k!["name"]!, "line-3 camera", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("api-key:camera")]
    [InlineData("API-KEY:camera")]
    [InlineData("bootstrap-api-key")]
    public async Task AUserNamedLikeAKeyIsRefusedWith400(string userName)
    {
        var operatorClient = _app.Client(RunningApp.BootstrapKey);

        using var response = await operatorClient.PostAsJsonAsync("/api/users", new { userName, password = "long-enough-1", role = "Consumer" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("key", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!, StringComparison.Ordinal);
        var users = await operatorClient.GetFromJsonAsync<JsonArray>("/api/users");
        Assert.DoesNotContain(users!, u => string.Equals((string)u!["userName"]!, userName, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ACookieReplayedAfterSignOutIsRefused()
    {
        await CreateUserAsync("sign-out-sam", "Consumer");
        var client = _app.Client();
        string cookie;
        using (var signIn = await RunningApp.PostPageFormAsync(
            client, "/account/sign-in", "/account/sign-in", new Dictionary<string, string> { ["userName"] = "sign-out-sam", ["password"] = "landing-password-1" }))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            cookie = string.Join("; ", signIn.Headers.GetValues("Set-Cookie")
                .Where(c => c.StartsWith(".CustomLabels.SignIn", StringComparison.Ordinal))
                .Select(c => c.Split(';')[0]));
        }

        using var replay = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _app.BaseAddress };
        replay.DefaultRequestHeaders.Add("Cookie", cookie);
        using (var before = await replay.GetAsync("/api/account"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using (var signOut = await client.PostAsync("/account/sign-out", null))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        using var after = await replay.GetAsync("/api/account");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    private async Task CreateUserAsync(string userName, string role)
    {
        using var created = await _app.Client(RunningApp.BootstrapKey).PostAsJsonAsync("/api/users", new { userName, password = "landing-password-1", role });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }
}

/// <summary>Wrong passwords are throttled per user name and per client address, over a window read from a clock the test moves.</summary>
public sealed class SignInLockoutTests
{
    private const string Password = "olivia-password-1";

    [Fact]
    public async Task RepeatedWrongPasswordsLockTheUserNameUntilTheWindowHasPassed()
    {
        var clock = new MovableClock();
        await using var app = await StartAsync(clock, perUser: 3, perAddress: 100);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SignInStatusAsync(app, "olivia", "not-the-password"));
        }

        using (var locked = await SignInAsync(app, "olivia", Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
            Assert.Contains("Too many failed sign-ins", await locked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.NotNull(locked.Headers.RetryAfter);
        }

        // Another name from the same address is not locked by olivia's failures.
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInStatusAsync(app, "someone-else", "not-the-password"));

        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(HttpStatusCode.Redirect, await SignInStatusAsync(app, "olivia", Password));
    }

    [Fact]
    public async Task RepeatedWrongPasswordsFromOneAddressLockThatAddress()
    {
        var clock = new MovableClock();
        await using var app = await StartAsync(clock, perUser: 100, perAddress: 4);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SignInStatusAsync(app, $"guess-{i}", "not-the-password"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInStatusAsync(app, "olivia", Password));

        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(HttpStatusCode.Redirect, await SignInStatusAsync(app, "olivia", Password));
    }

    [Fact]
    public async Task ABrowserThatIsLockedOutIsToldSoOnTheSignInPage()
    {
        await using var app = await StartAsync(new MovableClock(), perUser: 1, perAddress: 100);
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInStatusAsync(app, "olivia", "not-the-password"));

        var client = app.Client();
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        using var locked = await RunningApp.PostPageFormAsync(
            client, "/account/sign-in", "/account/sign-in", new Dictionary<string, string> { ["userName"] = "olivia", ["password"] = Password });

        Assert.Equal(HttpStatusCode.Redirect, locked.StatusCode);
        var page = await client.GetStringAsync(locked.Headers.Location);
        Assert.Contains("Too many failed sign-ins", page, StringComparison.Ordinal);
    }

    private static Task<RunningApp> StartAsync(MovableClock clock, int perUser, int perAddress) => RunningApp.StartAsync(
        new Dictionary<string, string>
        {
            ["CustomLabels:InitialOperator:UserName"] = "olivia",
            ["CustomLabels:InitialOperator:Password"] = Password,
            ["CustomLabels:SignIn:MaxFailuresPerUser"] = perUser.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CustomLabels:SignIn:MaxFailuresPerAddress"] = perAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CustomLabels:SignIn:LockoutWindow"] = "00:10:00",
        },
        configure: builder => builder.Services.AddSingleton<TimeProvider>(clock));

    private static async Task<HttpStatusCode> SignInStatusAsync(RunningApp app, string userName, string password)
    {
        using var response = await SignInAsync(app, userName, password);
        return response.StatusCode;
    }

    private static Task<HttpResponseMessage> SignInAsync(RunningApp app, string userName, string password) => RunningApp.PostPageFormAsync(
        app.Client(), "/account/sign-in", "/account/sign-in", new Dictionary<string, string> { ["userName"] = userName, ["password"] = password });

    /// <summary>The system clock, moved forward by the test; timers run as the system's.</summary>
    private sealed class MovableClock : TimeProvider
    {
        private long _offsetTicks;

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

        public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
    }
}
