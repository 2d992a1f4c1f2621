using Bunit;
using CustomLabels.Core.Models;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Components.Pages.ModelVersions;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.ModelVersions;

public sealed class ModelVersionsPageTests : DashboardTest
{
    private ICustomLabelsModel Model => Core.GetRequiredService<ICustomLabelsModel>();

    [Fact]
    public void WithNoVersionsThePageSaysNoneHasBeenTrained()
    {
        var page = Render<ModelVersionsPage>();

        page.WaitForAssertion(() => Assert.Contains("No version has been trained yet.", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileTheVersionsLoadThePageShowsProgressThenAVersionWithItsStatusAndWhyItFailed()
    {
        // A version whose manifest is missing fails at once: a real version row without the cost of training.
        await Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("v-missing", "manifests/missing.manifest"));
        var gate = new TaskCompletionSource();
        Decorate<ICustomLabelsModel>(m => Ports.Gated(m, gate.Task));

        var page = Render<ModelVersionsPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));

        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains("The training manifest 'manifests/missing.manifest' does not exist.", page.Find("tbody").TextContent, StringComparison.Ordinal));
        var row = page.Find("tbody tr").TextContent;
        Assert.Contains("v-missing", row, StringComparison.Ordinal);
        Assert.Contains("TRAINING_FAILED", row, StringComparison.Ordinal);
        Assert.DoesNotContain("serving", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVersionCreatedWhileThePageIsOpenAppearsWithoutAReload()
    {
        var page = Render<ModelVersionsPage>();
        page.WaitForAssertion(() => Assert.Contains("No version has been trained yet.", page.Markup, StringComparison.Ordinal));

        await Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("v-late", "manifests/late.manifest"));

        page.WaitForAssertion(() => Assert.Contains("v-late", page.Find("tbody").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AVersionShowsTheRunningVersionsF1OnTheSameImagesAndWhyTheGateTurnedItDown()
    {
        await Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("v-worse", "manifests/worse.manifest"));
        await Model.CreateProjectVersionAsync(new CreateProjectVersionRequest("v-undecided", "manifests/undecided.manifest"));
        const string reason = "Version v-worse scored F1 0.610 on its 6 test image(s); the running version v-serving scored F1 0.930 on the same 6 image(s).";
        await new VersionComparison
        {
            VersionName = "v-worse",
            F1Score = 0.61,
            MinimumF1Score = 0.5,
            TestImages = 6,
            RunningVersion = "v-serving",
            RunningVersionF1Score = 0.93,
            ComparedImages = 6,
            MaxF1Drop = 0.02,
            Deploy = false,
            Reason = reason,
            DecidedAt = DateTimeOffset.UtcNow,
        }.WriteAsync(Store);

        var page = Render<ModelVersionsPage>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count));
        var row = page.FindAll("tbody tr").Single(r => r.TextContent.Contains("v-worse", StringComparison.Ordinal));
        Assert.Equal("0.930 (v-serving, 6 images)", row.QuerySelector("td[data-column='running-f1']")!.TextContent.Trim());
        var decision = row.QuerySelector("td[data-column='decision']")!.TextContent;
        Assert.Contains("not deployed", decision, StringComparison.Ordinal);
        Assert.Contains(reason, decision, StringComparison.Ordinal);
        var undecided = page.FindAll("tbody tr").Single(r => r.TextContent.Contains("v-undecided", StringComparison.Ordinal));
        Assert.Equal("—", undecided.QuerySelector("td[data-column='decision']")!.TextContent.Trim());
    }

    [Fact]
    public void WhenTheModelCannotBeDescribedThePageShowsWhy()
    {
        Decorate<ICustomLabelsModel>(m => Ports.Failing(m, new IOException("The model registry cannot be read.")));

        var page = Render<ModelVersionsPage>();

        page.WaitForAssertion(() => Assert.Equal("The model registry cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }

    [Fact]
    public async Task TrainNowStartsATrainingRunAndLinksToIt()
    {
        var page = Render<ModelVersionsPage>();
        page.WaitForAssertion(() => Assert.Contains("No version has been trained yet.", page.Markup, StringComparison.Ordinal));

        await page.InvokeAsync(() => page.FindAll("button").Single(b => b.TextContent.Contains("Train now", StringComparison.Ordinal)).Click());

        page.WaitForAssertion(() => Assert.Contains("Training started", page.Markup, StringComparison.Ordinal));
        var runId = Uri.UnescapeDataString(page.Find("a[href^='runs/']").GetAttribute("href")!["runs/".Length..]);
        var run = await Core.GetRequiredService<IWorkflowService>().WaitForCompletionAsync(runId, TimeSpan.FromSeconds(60));
        Assert.Equal(WorkflowEvents.Branches.Training, run.Summary.Branch);
    }
}
