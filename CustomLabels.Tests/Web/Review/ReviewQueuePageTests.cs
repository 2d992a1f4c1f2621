using Bunit;
using CustomLabels.Core.Review;
using CustomLabels.Web.Components.Pages.Review;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Review;

public sealed class ReviewQueuePageTests : DashboardTest
{
    private IHumanReview Review => Core.GetRequiredService<IHumanReview>();

    [Fact]
    public void WithNoOpenLoopsTheQueueSaysItIsEmpty()
    {
        var page = Render<ReviewQueuePage>();

        page.WaitForAssertion(() => Assert.Contains("The queue is empty", page.Markup, StringComparison.Ordinal));
        Assert.Contains("No loop has been answered yet.", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOpenLoopShowsItsImageTheModelsLabelsAndTheReason()
    {
        await StartLoopAsync("loop-a");

        var page = Render<ReviewQueuePage>();

        page.WaitForAssertion(() => Assert.Contains("low confidence", page.Markup, StringComparison.Ordinal));
        Assert.Contains("images_for_detection%2Floop-a.jpg", page.Find("img.review-image").GetAttribute("src"), StringComparison.Ordinal);
        Assert.Contains("godot · 41.5", page.Markup, StringComparison.Ordinal);
        Assert.Contains("1 godot", page.Markup, StringComparison.Ordinal);
        Assert.Contains("2 keepassxc", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PressingAKnownLabelsNumberAnswersTheLoopAsTheSignedInReviewer()
    {
        SignInAs("rita", "Reviewer");
        await StartLoopAsync("loop-b");
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => page.Find("[data-review-keys]"));

        await page.InvokeAsync(() => page.Find("[data-review-keys]").KeyDown("2"));

        var loop = await Review.DescribeHumanLoopAsync("loop-b");
        Assert.Equal(HumanLoopStatus.Completed, loop!.Status);
        Assert.Equal("keepassxc", loop.Answer!.Label);
        Assert.Equal("rita", loop.AnsweredBy);
        page.WaitForAssertion(() => Assert.Contains("The queue is empty", page.Markup, StringComparison.Ordinal));
        Assert.Contains(page.FindAll("tbody tr"), r => r.TextContent.Contains("loop-b", StringComparison.Ordinal) && r.TextContent.Contains("rita", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NIsNoneOfTheAboveAndANewLabelCanBeTyped()
    {
        await StartLoopAsync("loop-c");
        await StartLoopAsync("loop-d", image: 2);
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => page.Find("[data-review-keys]"));

        await page.InvokeAsync(() => page.Find("[data-review-keys]").KeyDown("n"));
        page.WaitForAssertion(() => Assert.Contains("Open (1)", page.Markup, StringComparison.Ordinal));
        page.Find("input").Input("hexchat");
        await page.InvokeAsync(() => page.FindAll("button").First(b => b.TextContent.Contains("Answer with new label", StringComparison.Ordinal)).Click());

        page.WaitForAssertion(() => Assert.Contains("Open (0)", page.Markup, StringComparison.Ordinal));
        Assert.True((await Review.DescribeHumanLoopAsync("loop-c"))!.Answer!.NoneOfTheAbove);
        Assert.Equal("hexchat", (await Review.DescribeHumanLoopAsync("loop-d"))!.Answer!.Label);
    }

    [Fact]
    public async Task ALoopCreatedWhileThePageIsOpenAppearsWithoutAReload()
    {
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => Assert.Contains("The queue is empty", page.Markup, StringComparison.Ordinal));

        await StartLoopAsync("loop-e", HumanLoopReason.Sampling);

        page.WaitForAssertion(() => Assert.Contains("loop-e", page.Markup, StringComparison.Ordinal));
        Assert.Contains("sampling", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void WhileLoadingThePageShowsProgressAndOnFailureWhy()
    {
        var gate = new TaskCompletionSource();
        Decorate<IHumanReview>(r => Ports.Gated(r, gate.Task));
        var page = Render<ReviewQueuePage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));
        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains("The queue is empty", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public void WhenReviewFailsThePageShowsWhy()
    {
        Decorate<IHumanReview>(r => Ports.Failing(r, new IOException("The review queue cannot be read.")));

        var page = Render<ReviewQueuePage>();

        page.WaitForAssertion(() => Assert.Equal("The review queue cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }
}
