using Bunit;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Review;
using CustomLabels.Web.Components.Pages.Overview;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Overview;

public sealed class OverviewPageTests : DashboardTest
{
    [Fact]
    public void AFreshInstallShowsNoRunningModelAndEmptySections()
    {
        var page = Render<OverviewPage>();

        page.WaitForAssertion(() => Assert.Contains("No running model: no version has been trained yet.", page.Markup, StringComparison.Ordinal));
        Assert.Contains("0 / 10", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Open review loops (0)", page.Markup, StringComparison.Ordinal);
        Assert.Equal(3, page.FindAll("p").Count(p => p.TextContent.Trim() == "None."));
    }

    [Fact]
    public async Task WhileItLoadsTheOverviewShowsProgressThenImagesLoopsAndNotifications()
    {
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_02.jpg", index: 2);
        await StartLoopAsync("loop-a");
        await Core.GetRequiredService<INotifier>().PublishAsync(new Notification(NotificationTopic.Operator, "Training started", "v1 is training", DateTimeOffset.UtcNow));
        var gate = new TaskCompletionSource();
        Decorate<ICustomLabelsModel>(m => Ports.Gated(m, gate.Task));

        var page = Render<OverviewPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));

        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains("2 / 10", page.Markup, StringComparison.Ordinal));
        Assert.Contains("Open review loops (1)", page.Markup, StringComparison.Ordinal);
        Assert.Contains("loop-a", page.Markup, StringComparison.Ordinal);
        Assert.Contains("low confidence", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Training started", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImagesAnsweredNoneOfTheAboveCountAmongTheUntrainedAndTheOverviewSaysHowMany()
    {
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        await PutSampleImageAsync("images_rejected/review-one-00000000-0000-0000-0000-000000000001-a.jpg", "godot", 2);
        await PutSampleImageAsync("images_rejected/review-two-00000000-0000-0000-0000-000000000002-b.jpg", "godot", 3);

        var page = Render<OverviewPage>();

        page.WaitForAssertion(() => Assert.Contains("3 / 10", page.Markup, StringComparison.Ordinal));
        Assert.Equal("2 of them answered \"none of the above\"", page.Find("[data-testid='untrained-rejected']").TextContent.Trim());
    }

    [Fact]
    public void WhenTheModelCannotBeDescribedThePageShowsWhy()
    {
        Decorate<ICustomLabelsModel>(m => Ports.Failing(m, new IOException("The model registry cannot be read.")));

        var page = Render<OverviewPage>();

        page.WaitForAssertion(() => Assert.Equal("The model registry cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }

    [Fact]
    public async Task ALoopOpenedWhileThePageIsOpenAppearsWithoutAReload()
    {
        var page = Render<OverviewPage>();
        page.WaitForAssertion(() => Assert.Contains("Open review loops (0)", page.Markup, StringComparison.Ordinal));

        await StartLoopAsync("loop-b", HumanLoopReason.Sampling, image: 2);

        page.WaitForAssertion(() => Assert.Contains("Open review loops (1)", page.Markup, StringComparison.Ordinal));
    }
}
