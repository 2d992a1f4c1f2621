using Bunit;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Web.Api.Samples;
using CustomLabels.Web.Components.Pages.TrainingImages;
using Microsoft.Extensions.DependencyInjection;

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
        var set = await TrainingSet.LoadAsync(Store, Core.GetRequiredService<IParameterStore>(), CancellationToken.None);
        Assert.Equal([("godot", 5), ("keepassxc", 5)], set.Labels.Select(l => (l.Label, l.Count)));
    }
}
