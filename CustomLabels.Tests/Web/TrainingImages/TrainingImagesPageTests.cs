using System.Text.Json.Nodes;
using Bunit;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Api.Samples;
using CustomLabels.Web.Components.Pages.TrainingImages;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CustomLabels.Tests.Web.TrainingImages;

public sealed class TrainingImagesPageTests : DashboardTest
{
    [Fact]
    public void WithNoImagesThePageSaysTheSetIsEmpty()
    {
        var page = Render<TrainingImagesPage>();

        page.WaitForAssertion(() => Assert.Contains("The training set is empty", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileTheSetLoadsThePageShowsProgressThenItsLabelsAndCounts()
    {
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_02.jpg", index: 2);
        await PutSampleImageAsync("images_labeled_by_folder/godot/godot_01.jpg", "godot");
        var gate = new TaskCompletionSource();
        Decorate<IObjectStore>(s => Ports.Gated(s, gate.Task));

        var page = Render<TrainingImagesPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));

        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains("3 images in 2 labels", page.Markup, StringComparison.Ordinal));
        Assert.Contains("3 new", page.Markup, StringComparison.Ordinal);
        var labels = page.Find("[aria-label='Labels']").TextContent;
        Assert.Contains("geany", labels, StringComparison.Ordinal);
        Assert.Contains("godot", labels, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheBucketFailsThePageShowsWhy()
    {
        Decorate<IObjectStore>(s => Ports.Failing(s, new IOException("The bucket cannot be listed.")));

        var page = Render<TrainingImagesPage>();

        page.WaitForAssertion(() => Assert.Equal("The bucket cannot be listed.", page.Find("[role='alert']").TextContent.Trim()));
    }

    [Fact]
    public async Task AddingTheSampleImagesPutsTheTenSamplesInTheSet()
    {
        Assert.True(SampleImages.Available);
        var page = Render<TrainingImagesPage>();
        page.WaitForAssertion(() => Assert.Contains("or add the sample images", page.Markup, StringComparison.Ordinal));

        await page.InvokeAsync(() => page.FindAll("button").Single(b => b.TextContent.Contains("Add the sample images", StringComparison.Ordinal)).Click());

        page.WaitForAssertion(() => Assert.Contains("10 images in 2 labels", page.Markup, StringComparison.Ordinal));
        var set = await TrainingSet.LoadAsync(Store, Core.GetRequiredService<IParameterStore>(), Core.GetRequiredService<CustomLabels.Core.Review.RejectedImages>(), CancellationToken.None);
        Assert.Equal([("godot", 5), ("keepassxc", 5)], set.Labels.Select(l => (l.Label, l.Count)));
    }

    [Fact]
    public async Task RejectedImagesAreShownWithThumbnailsTheirLoopAndWhatTheyAddToTheUntrainedCount()
    {
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        var first = await PutRejectedAsync("review-first", 2);
        var second = await PutRejectedAsync("review-second", 3);

        var page = Render<TrainingImagesPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[aria-label='None of the above']")));
        var section = page.Find("[aria-label='None of the above']");
        Assert.Contains("2 new", section.TextContent, StringComparison.Ordinal);
        Assert.Contains("2 answered \"none of the above\", 2 new: 3 untrained in all, against Minimum-Untrained-Images (10)",
            page.Find("[data-testid='rejected-summary']").TextContent, StringComparison.Ordinal);
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-rejected-key]").Count));
        Assert.Contains("review-first", page.Find($"[data-rejected-key='{first}']").TextContent, StringComparison.Ordinal);
        Assert.Contains("review-second", page.Find($"[data-rejected-key='{second}']").TextContent, StringComparison.Ordinal);
        Assert.Equal(DashboardImageUrl(first), page.Find($"[data-rejected-key='{first}'] img").GetAttribute("src"));
    }

    [Fact]
    public async Task AnOperatorDeletesARejectedImageOnlyAfterConfirming()
    {
        var kept = await PutRejectedAsync("review-kept", 2);
        var doomed = await PutRejectedAsync("review-doomed", 3);
        var dialogs = Render<MudDialogProvider>();
        var page = Render<TrainingImagesPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-rejected-key]").Count));

        await page.InvokeAsync(() => page.Find($"[data-rejected-key='{doomed}']").Click());
        await page.InvokeAsync(() => ButtonOf(page, "Delete image").Click());
        dialogs.WaitForAssertion(() => Assert.Contains("Delete this rejected image?", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => ButtonOf(dialogs, "Cancel").Click());
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("Delete this rejected image?", dialogs.Markup, StringComparison.Ordinal));
        Assert.NotNull(await Store.HeadAsync(doomed));

        await page.InvokeAsync(() => ButtonOf(page, "Delete image").Click());
        dialogs.WaitForAssertion(() => Assert.Contains("Delete this rejected image?", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.InvokeAsync(() => ButtonOf(dialogs, "Delete").Click());

        page.WaitForAssertion(() => Assert.Equal([kept], page.FindAll("[data-rejected-key]").Select(e => e.GetAttribute("data-rejected-key"))));
        Assert.Null(await Store.HeadAsync(doomed));
        Assert.NotNull(await Store.HeadAsync(kept));
    }

    [Fact]
    public async Task ARejectionByTheReviewBranchAppearsWithoutAReload()
    {
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        var page = Render<TrainingImagesPage>();
        page.WaitForAssertion(() => Assert.Contains("1 images in 1 labels", page.Markup, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("[aria-label='None of the above']"));

        // The review branch's copy step, as the workflow runs it for a loop answered "none of the above".
        await PutSampleImageAsync("images_for_detection/unsure.jpg", "godot", 4);
        var copy = Core.GetServices<ITaskHandler>().Single(h => h.Name == "CopyToTrainingSet");
        var result = await copy.InvokeAsync(
            new JsonObject
            {
                ["humanLoopName"] = "review-live",
                ["imageKey"] = "images_for_detection/unsure.jpg",
                ["requestId"] = "request-live",
                ["reason"] = "LowConfidence",
                ["label"] = null,
                ["noneOfTheAbove"] = true,
                ["addToTrainingSet"] = false,
                ["keepAsRejected"] = true,
            },
            new TaskContext("exec-live", "CopyToTrainingSet", 1),
            CancellationToken.None);
        var key = (string)result!["rejectedKey"]!;

        page.WaitForAssertion(() => Assert.Single(page.FindAll($"[data-rejected-key='{key}']")));
        Assert.Contains("review-live", page.Find("[aria-label='None of the above']").TextContent, StringComparison.Ordinal);
    }

    private async Task<string> PutRejectedAsync(string loop, int index)
    {
        var key = BucketLayout.RejectedImageKey(BucketLayout.ReviewedImageFileName(loop, $"images_for_detection/{loop}.jpg"));
        await PutSampleImageAsync(key, "godot", index);
        return key;
    }

    private static string DashboardImageUrl(string key) => $"/dashboard/images?key={Uri.EscapeDataString(key)}";

    private static AngleSharp.Dom.IElement ButtonOf<TComponent>(IRenderedComponent<TComponent> rendered, string text)
        where TComponent : Microsoft.AspNetCore.Components.IComponent =>
        rendered.FindAll("button").Single(b => b.TextContent.Trim() == text);
}
