using Bunit;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Web.Components.Pages.Review;
using CustomLabels.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;

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

        await page.InvokeAsync(() => page.Find("[data-review-keys]").KeyDownAsync("2"));

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
    public async Task TheCardDrawsWhereTheModelFoundItsTopLabelAndNothingWhenTheModelDoesNotSay()
    {
        await StartLoopAsync("loop-f", labels: [new CustomLabel("godot", 41.5f, new LabelGeometry(new BoundingBox(0.1f, 0.2f, 0.3f, 0.4f))), new CustomLabel("keepassxc", 12f)]);
        await StartLoopAsync("loop-g", image: 2);
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => page.Find("[data-review-keys]"));

        var region = page.Find("[data-region-frame] [data-region='model']");
        Assert.Equal("left:10%;top:20%;width:30%;height:40%", region.GetAttribute("style"));
        Assert.Equal("godot", region.TextContent.Trim());
        Assert.Equal("Where the model found godot", region.GetAttribute("aria-label"));
        Assert.Single(page.FindAll("[data-region]"));

        await page.InvokeAsync(() => page.FindAll("[aria-label='Open loops'] .mud-list-item")[^1].Click());
        page.WaitForAssertion(() => Assert.Contains("loop-g.jpg", page.Find("img.review-image").GetAttribute("src"), StringComparison.Ordinal));
        Assert.Empty(page.FindAll("[data-region]"));
    }

    [Fact]
    public async Task ABoxTheReviewerDrawsIsShownAndTheAnswerByKeyKeepsIt()
    {
        var module = JSInterop.SetupModule("./js/region-drawing.js");
        var drawing = module.SetupModule("attach", _ => true);
        drawing.SetupVoid("dispose").SetVoidResult();
        await StartLoopAsync("loop-h");
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => Assert.Single(module.Invocations["attach"]));
        var attach = module.Invocations["attach"].Single();
        Assert.Equal(page.FindComponent<RegionImage>().Instance.Frame.Id, ((ElementReference)attach.Arguments[0]!).Id);
        var card = ((DotNetObjectReference<ReviewCard>)attach.Arguments[1]!).Value;

        // As the module reports a box let go of on the image, in fractions of it.
        await page.InvokeAsync(() => card.OnRegionDrawnAsync(0.25, 0.125, 0.5, 0.5));

        var drawn = page.Find("[data-region='reviewer']");
        Assert.Equal("left:25%;top:12.5%;width:50%;height:50%", drawn.GetAttribute("style"));
        Assert.Equal("The answer keeps your box.", page.Find("[data-region-status]").TextContent.Trim());
        // The key's answer is awaited to its end: it reads the image's size and writes the output before it returns.
        await page.InvokeAsync(() => page.Find("[data-review-keys]").KeyDownAsync("1"));

        var loop = await Review.DescribeHumanLoopAsync("loop-h");
        Assert.Equal("godot", loop!.Answer!.Label);
        Assert.Equal(new BoundingBox(0.25f, 0.125f, 0.5f, 0.5f), loop.Answer.BoundingBox);
        page.WaitForAssertion(() => Assert.Contains("The queue is empty", page.Markup, StringComparison.Ordinal));
        Assert.Single(JSInterop.Invocations["import"], i => (string?)i.Arguments[0] == "./js/region-drawing.js");
        drawing.VerifyInvoke("dispose");
        Assert.Contains(page.FindAll("tbody tr"), r => r.TextContent.Contains("godot (with a box)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AClearedBoxIsNotAnsweredAndNoneOfTheAboveNeverCarriesOne()
    {
        var module = JSInterop.SetupModule("./js/region-drawing.js");
        var drawing = module.SetupModule("attach", _ => true);
        await StartLoopAsync("loop-i");
        await StartLoopAsync("loop-j", image: 2);
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => Assert.Single(module.Invocations["attach"]));
        ReviewCard Card() => page.FindComponent<ReviewCard>().Instance;

        await page.InvokeAsync(() => Card().OnRegionDrawnAsync(0.1, 0.1, 0.4, 0.4));
        Assert.Single(page.FindAll("[data-region='reviewer']"));
        await page.InvokeAsync(() => page.FindAll("button").Single(b => b.TextContent.Trim() == "Clear box").Click());
        Assert.Empty(page.FindAll("[data-region='reviewer']"));
        await page.InvokeAsync(() => page.Find("[data-review-keys]").KeyDown("2"));
        page.WaitForAssertion(() => Assert.Contains("Open (1)", page.Markup, StringComparison.Ordinal));

        page.WaitForAssertion(() => Assert.Equal(2, module.Invocations["attach"].Count));
        await page.InvokeAsync(() => Card().OnRegionDrawnAsync(0.1, 0.1, 0.4, 0.4));
        await page.InvokeAsync(() => page.Find("[data-review-keys]").KeyDown("n"));
        page.WaitForAssertion(() => Assert.Contains("Open (0)", page.Markup, StringComparison.Ordinal));

        var cleared = (await Review.DescribeHumanLoopAsync("loop-i"))!.Answer!;
        Assert.Equal(("keepassxc", (BoundingBox?)null), (cleared.Label, cleared.BoundingBox));
        var none = (await Review.DescribeHumanLoopAsync("loop-j"))!.Answer!;
        Assert.True(none.NoneOfTheAbove);
        Assert.Null(none.BoundingBox);
    }

    [Fact]
    public async Task ABoxTooSmallOrOutsideTheImageIsNotKept()
    {
        var module = JSInterop.SetupModule("./js/region-drawing.js");
        module.SetupModule("attach", _ => true);
        await StartLoopAsync("loop-k");
        var page = Render<ReviewQueuePage>();
        page.WaitForAssertion(() => Assert.Single(module.Invocations["attach"]));
        var card = page.FindComponent<ReviewCard>().Instance;

        await page.InvokeAsync(() => card.OnRegionDrawnAsync(0.5, 0.5, 0.001, 0.3));
        await page.InvokeAsync(() => card.OnRegionDrawnAsync(0.8, 0.1, 0.5, 0.3));

        Assert.Empty(page.FindAll("[data-region='reviewer']"));
        Assert.True(page.FindAll("button").Single(b => b.TextContent.Trim() == "Clear box").HasAttribute("disabled"));
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
