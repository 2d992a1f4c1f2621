using AngleSharp.Dom;
using Bunit;
using CustomLabels.Core.Parameters;
using CustomLabels.Web.Components.Pages.Parameters;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Parameters;

public sealed class ParametersPageTests : DashboardTest
{
    private IParameterStore Parameters => Core.GetRequiredService<IParameterStore>();

    private static IElement Editor(IRenderedComponent<ParametersPage> page, string name) => page.Find($"[aria-label='{name}']");

    [Fact]
    public void TheTenParametersAreShownInTheirGroupsWithDescriptionAndRange()
    {
        var page = Render<ParametersPage>();

        page.WaitForAssertion(() => Assert.Equal(10, page.FindAll("[aria-label$='-Interval'], [aria-label^='Enable-'], [aria-label^='Minimum-'], [aria-label^='Automatic-']").Count));
        Assert.Equal(["Training", "Detection and review", "Sampling"], page.FindAll("h2").Select(h => h.TextContent.Trim()));
        var f1 = Editor(page, ParameterNames.MinimumF1Score);
        Assert.Contains("a number from 0 to 1", f1.TextContent, StringComparison.Ordinal);
        Assert.Contains("default", f1.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(ParameterNames.ForSystemUseOnly, page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SavingAValueWritesItRecordsWhoAndShowsTheApplyRun()
    {
        var page = Render<ParametersPage>();
        page.WaitForAssertion(() => Editor(page, ParameterNames.HumanSamplingInterval));

        Editor(page, ParameterNames.HumanSamplingInterval).QuerySelector("input")!.Input("25");
        page.WaitForAssertion(() => Assert.False(Editor(page, ParameterNames.HumanSamplingInterval).QuerySelectorAll("button").First(b => b.TextContent.Trim() == "Save").HasAttribute("disabled")));
        await page.InvokeAsync(() => Editor(page, ParameterNames.HumanSamplingInterval).QuerySelectorAll("button").First(b => b.TextContent.Trim() == "Save").Click());

        page.WaitForAssertion(() => Assert.Contains("The change is applied by", page.Markup, StringComparison.Ordinal), TestAssemblySetup.ComponentWaitTimeout);
        Assert.Equal("25", (await Parameters.GetAsync(ParameterNames.HumanSamplingInterval)).Value);
        var change = Assert.Single(await Parameters.GetHistoryAsync(ParameterNames.HumanSamplingInterval));
        Assert.Equal("operator", change.ChangedBy);
        Assert.NotNull(page.Find("a[href^='runs/']"));
    }

    [Fact]
    public async Task AValueOutOfRangeIsRefusedBeforeSavingAndNothingIsWritten()
    {
        var page = Render<ParametersPage>();
        page.WaitForAssertion(() => Editor(page, ParameterNames.MinimumUntrainedImages));

        Editor(page, ParameterNames.MinimumUntrainedImages).QuerySelector("input")!.Input("2.5");

        page.WaitForAssertion(() => Assert.Contains("must be a whole number of at least 1", Editor(page, ParameterNames.MinimumUntrainedImages).TextContent, StringComparison.Ordinal));
        Assert.True(Editor(page, ParameterNames.MinimumUntrainedImages).QuerySelectorAll("button").First(b => b.TextContent.Trim() == "Save").HasAttribute("disabled"));
        Assert.Empty(await Parameters.GetHistoryAsync(ParameterNames.MinimumUntrainedImages));
    }

    [Fact]
    public async Task AChangeMadeElsewhereShowsWithoutAReload()
    {
        var page = Render<ParametersPage>();
        page.WaitForAssertion(() => Editor(page, ParameterNames.MinimumLabelDetectionConfidence));

        await Parameters.PutAsync(ParameterNames.MinimumLabelDetectionConfidence, "85", "someone else");

        page.WaitForAssertion(() => Assert.Equal("85", Editor(page, ParameterNames.MinimumLabelDetectionConfidence).QuerySelector("input")!.GetAttribute("value")));
    }

    [Fact]
    public void WhileLoadingThePageShowsProgressAndOnFailureWhy()
    {
        var gate = new TaskCompletionSource();
        Decorate<IParameterStore>(s => Ports.Gated(s, gate.Task));
        var loading = Render<ParametersPage>();
        Assert.NotNull(loading.Find("[aria-label='Loading']"));
        gate.SetResult();
        loading.WaitForAssertion(() => Editor(loading, ParameterNames.MinimumF1Score));
    }

    [Fact]
    public void WhenTheStoreFailsThePageShowsWhy()
    {
        Decorate<IParameterStore>(s => Ports.Failing(s, new IOException("The parameter store is unreachable.")));

        var page = Render<ParametersPage>();

        page.WaitForAssertion(() => Assert.Equal("The parameter store is unreachable.", page.Find("[role='alert']").TextContent.Trim()));
    }
}
