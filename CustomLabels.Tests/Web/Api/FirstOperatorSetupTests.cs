using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

public sealed class FirstOperatorSetupTests
{
    [Fact]
    public async Task AConfiguredFirstOperatorIsCreatedAtStartAndNoSetupLinkIsOffered()
    {
        await using var app = await RunningApp.StartAsync(new Dictionary<string, string>
        {
            ["CustomLabels:InitialOperator:UserName"] = "ops",
            ["CustomLabels:InitialOperator:Password"] = "ops-password-1",
        });

        var users = await app.Services.GetRequiredService<IAccountStore>().ListUsersAsync();
        Assert.Equal(("ops", AccountRole.Operator), (users.Single().UserName, users.Single().Role));
        Assert.DoesNotContain(app.Logs.Messages, m => m.Contains("/account/setup", StringComparison.Ordinal));
        await app.SignInAsync("ops", "ops-password-1");
    }

    [Fact]
    public async Task AnInitialOperatorWithoutAPasswordStopsTheStartWithAMessage()
    {
        using var data = new TempDirectory();

        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            RunningApp.StartAsync(new Dictionary<string, string> { ["CustomLabels:InitialOperator:UserName"] = "ops" }, data));

        Assert.Contains("InitialOperator needs both UserName and Password", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutConfigurationTheLoggedSetupLinkCreatesTheFirstOperatorOnce()
    {
        await using var app = await RunningApp.StartAsync();
        var link = SetupLink(app);
        var client = app.Client();

        using (var created = await PostSetupAsync(client, link, "first-op", "first-op-password"))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        var caller = await client.GetFromJsonAsync<JsonObject>("/api/account");
        Assert.Equal(("first-op", "Operator"), ((string)caller!["name"]!, (string)caller["role"]!));

        // The token is spent: neither its page nor a second post opens setup again.
        using (var page = await app.Client().GetAsync(link))
        {
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        }

        var token = new Uri(link).Query.Split("token=")[1];
        var other = app.Client();
        using var replay = await RunningApp.PostPageFormAsync(other, "/account/sign-in", "/account/setup", new Dictionary<string, string>
        {
            ["token"] = token,
            ["userName"] = "intruder",
            ["password"] = "intruder-password",
        });
        Assert.Equal(HttpStatusCode.NotFound, replay.StatusCode);
        var users = await app.Services.GetRequiredService<IAccountStore>().ListUsersAsync();
        Assert.Equal(["first-op"], users.Select(u => u.UserName));
    }

    [Fact]
    public async Task ASetupWithABadPasswordCreatesNobodyAndKeepsTheLinkValid()
    {
        await using var app = await RunningApp.StartAsync();
        var link = SetupLink(app);
        var client = app.Client();

        using (var refused = await PostSetupAsync(client, link, "first-op", "short"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("password", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.False(await app.Services.GetRequiredService<IAccountStore>().AnyUserAsync());
        using var created = await PostSetupAsync(client, link, "first-op", "long-enough-password");
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
    }

    [Fact]
    public async Task AWrongSetupTokenIsRefused()
    {
        await using var app = await RunningApp.StartAsync();
        _ = SetupLink(app);

        using var page = await app.Client().GetAsync("/account/setup?token=guessed");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.False(await app.Services.GetRequiredService<IAccountStore>().AnyUserAsync());
    }

    [Fact]
    public async Task ARestartAfterSetupOffersNoNewLink()
    {
        using var data = new TempDirectory();
        await using (var first = await RunningApp.StartAsync(data: data))
        {
            using var created = await PostSetupAsync(first.Client(), SetupLink(first), "first-op", "first-op-password");
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }

        await using var second = await RunningApp.StartAsync(data: data);
        Assert.DoesNotContain(second.Logs.Messages, m => m.Contains("/account/setup", StringComparison.Ordinal));
        await second.SignInAsync("first-op", "first-op-password");
    }

    private static string SetupLink(RunningApp app)
    {
        var line = Assert.Single(app.Logs.Messages, m => m.Contains("/account/setup?token=", StringComparison.Ordinal));
        var link = line[line.IndexOf("http", StringComparison.Ordinal)..].Trim();
        Assert.StartsWith(app.BaseAddress.ToString().TrimEnd('/'), link, StringComparison.Ordinal);
        return link;
    }

    private static Task<HttpResponseMessage> PostSetupAsync(HttpClient client, string link, string userName, string password) =>
        RunningApp.PostPageFormAsync(client, link, "/account/setup", new Dictionary<string, string>
        {
            ["token"] = new Uri(link).Query.Split("token=")[1],
            ["userName"] = userName,
            ["password"] = password,
        });
}
