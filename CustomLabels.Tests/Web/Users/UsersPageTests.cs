using Bunit;
using CustomLabels.Core.Accounts;
using CustomLabels.Web.Components.Pages.Account;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CustomLabels.Tests.Web.Users;

public sealed class UsersPageTests : DashboardTest
{
    private IAccountStore Accounts => Core.GetRequiredService<IAccountStore>();

    [Fact]
    public void WithNoUsersOrKeysBothTablesAreEmptyAndTheFormsAreThere()
    {
        var page = Render<UsersPage>();

        page.WaitForAssertion(() => Assert.Contains("Create a key", page.Markup, StringComparison.Ordinal));
        Assert.All(page.FindAll("tbody"), body => Assert.Empty(body.QuerySelectorAll("tr")));
        Assert.Contains("Add a user", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhileTheAccountsLoadThePageShowsProgressThenUsersAndKeys()
    {
        await Accounts.CreateUserAsync("rita", "rita-password", AccountRole.Reviewer, "operator");
        var key = await Accounts.CreateApiKeyAsync("line-3 camera", AccountRole.Consumer, "operator");
        var gate = new TaskCompletionSource();
        Decorate<IAccountStore>(a => Ports.Gated(a, gate.Task));

        var page = Render<UsersPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));

        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains("rita", page.Markup, StringComparison.Ordinal));
        var users = page.FindAll("tbody")[0].TextContent;
        Assert.Contains("Reviewer", users, StringComparison.Ordinal);
        var keys = page.FindAll("tbody")[1].TextContent;
        Assert.Contains("line-3 camera", keys, StringComparison.Ordinal);
        Assert.Contains($"{key.Info.Prefix}…", keys, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Key, page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheAccountStoreFailsThePageShowsWhy()
    {
        Decorate<IAccountStore>(a => Ports.Failing(a, new IOException("The accounts cannot be read.")));

        var page = Render<UsersPage>();

        page.WaitForAssertion(() => Assert.Equal("The accounts cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }

    [Fact]
    public async Task ACreatedKeyIsShownOnceAndWorksAndRevokingItStopsIt()
    {
        SignInAs("olga", "Operator");
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Contains("Create a key", page.Markup, StringComparison.Ordinal));

        page.FindComponents<MudTextField<string>>().Single(f => f.Instance.Label == "Key name").Find("input").Change("line-3 camera");
        await page.InvokeAsync(() => page.FindAll("button").Single(b => b.TextContent.Contains("Create key", StringComparison.Ordinal)).Click());

        page.WaitForAssertion(() => page.Find("[data-api-key]"));
        var plain = page.Find("[data-api-key]").TextContent.Trim();
        var active = await Accounts.FindActiveApiKeyAsync(plain);
        Assert.Equal(("line-3 camera", AccountRole.Consumer, "olga"), (active!.Name, active.Role, active.CreatedBy));

        await page.InvokeAsync(() => page.FindAll("button").Single(b => b.TextContent.Contains("Revoke", StringComparison.Ordinal)).Click());

        page.WaitForAssertion(() => Assert.Contains("revoked", page.FindAll("tbody")[1].TextContent, StringComparison.Ordinal));
        Assert.Null(await Accounts.FindActiveApiKeyAsync(plain));
    }
}
