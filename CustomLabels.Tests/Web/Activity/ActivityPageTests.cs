using Bunit;
using CustomLabels.Core.Notifications;
using CustomLabels.Web.Components.Pages.Activity;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Activity;

public sealed class ActivityPageTests : DashboardTest
{
    private INotifier Notifier => Core.GetRequiredService<INotifier>();

    private Task NotifyAsync(string subject) =>
        Notifier.PublishAsync(new Notification(NotificationTopic.Operator, subject, $"{subject} in detail", DateTimeOffset.UtcNow, "success"));

    [Fact]
    public void WithNothingPublishedThePageSaysSo()
    {
        var page = Render<ActivityPage>();

        page.WaitForAssertion(() => Assert.Contains("Nothing yet.", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task NotificationsAreListedAndTheSearchInTheUrlNarrowsThem()
    {
        await NotifyAsync("Version v1 deployed");
        await NotifyAsync("Training started");

        var all = Render<ActivityPage>();
        all.WaitForAssertion(() => Assert.Equal(2, all.FindAll("tbody tr").Count));

        Services.GetRequiredService<NavigationManager>().NavigateTo("activity?q=deployed");
        var found = Render<ActivityPage>();
        found.WaitForAssertion(() => Assert.Single(found.FindAll("tbody tr")));
        Assert.Contains("Version v1 deployed", found.Find("tbody").TextContent, StringComparison.Ordinal);

        Services.GetRequiredService<NavigationManager>().NavigateTo("activity?q=nothing-like-this");
        var none = Render<ActivityPage>();
        none.WaitForAssertion(() => Assert.Contains("Nothing matches 'nothing-like-this'.", none.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheDetectionLogIsSearchableByLabel()
    {
        await RecordDetectionAsync("r1", "godot", 93);
        await RecordDetectionAsync("r2", "keepassxc", 41);
        Services.GetRequiredService<NavigationManager>().NavigateTo("activity?view=log&q=keepassxc");

        var page = Render<ActivityPage>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("tbody tr")));
        Assert.Contains("41.0", page.Find("tbody").TextContent, StringComparison.Ordinal);
        Assert.Contains("carl", page.Find("tbody").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANotificationPublishedWhileThePageIsOpenAppearsWithoutAReload()
    {
        var page = Render<ActivityPage>();
        page.WaitForAssertion(() => Assert.Contains("Nothing yet.", page.Markup, StringComparison.Ordinal));

        await NotifyAsync("Parameter changed");

        page.WaitForAssertion(() => Assert.Contains("Parameter changed", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public void WhileLoadingThePageShowsProgressAndOnFailureWhy()
    {
        var gate = new TaskCompletionSource();
        Decorate<INotifier>(n => Ports.Gated(n, gate.Task));
        var page = Render<ActivityPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));
        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains("Nothing yet.", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public void WhenTheFeedFailsThePageShowsWhy()
    {
        Decorate<INotifier>(n => Ports.Failing(n, new IOException("The notification feed cannot be read.")));

        var page = Render<ActivityPage>();

        page.WaitForAssertion(() => Assert.Equal("The notification feed cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }
}
