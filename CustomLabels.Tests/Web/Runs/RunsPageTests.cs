using Bunit;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Components.Pages.Runs;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Runs;

public sealed class RunsPageTests : DashboardTest
{
    private IWorkflowService Workflow => Core.GetRequiredService<IWorkflowService>();

    private async Task<ExecutionDetail> RunParameterChangeAsync()
    {
        var run = await Workflow.StartExecutionAsync(WorkflowEvents.ParameterChanged(ParameterNames.HumanSamplingInterval).ToJsonString());
        return await Workflow.WaitForCompletionAsync(run.ExecutionId, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void WithNoRunsThePageSaysSo()
    {
        var page = Render<RunsPage>();

        page.WaitForAssertion(() => Assert.Contains("No runs match.", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileTheRunsLoadThePageShowsProgressThenTheRuns()
    {
        var done = await RunParameterChangeAsync();
        var gate = new TaskCompletionSource();
        Decorate<IWorkflowService>(w => Ports.Gated(w, gate.Task));

        var page = Render<RunsPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));

        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains(done.Summary.Name, page.Find("tbody").TextContent, StringComparison.Ordinal));
        Assert.Contains("SUCCEEDED", page.Find("tbody").TextContent, StringComparison.Ordinal);
        Assert.Contains("parameter", page.Find("tbody").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheBackendFailsThePageShowsWhy()
    {
        Decorate<IWorkflowService>(w => Ports.Failing(w, new IOException("The execution history cannot be read.")));

        var page = Render<RunsPage>();

        page.WaitForAssertion(() => Assert.Equal("The execution history cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }

    [Fact]
    public async Task TheStatusAndBranchInTheUrlFilterTheRuns()
    {
        await RunParameterChangeAsync();
        var navigation = Services.GetRequiredService<NavigationManager>();

        navigation.NavigateTo("runs?branch=training");
        var training = Render<RunsPage>();
        training.WaitForAssertion(() => Assert.Contains("No runs match.", training.Markup, StringComparison.Ordinal));

        navigation.NavigateTo("runs?branch=parameter&status=SUCCEEDED");
        var parameter = Render<RunsPage>();
        parameter.WaitForAssertion(() => Assert.Single(parameter.FindAll("tbody tr")));

        navigation.NavigateTo("runs?status=NOPE");
        var bad = Render<RunsPage>();
        bad.WaitForAssertion(() => Assert.Contains("'NOPE' is not an execution status", bad.Find("[role='alert']").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARunThatStartsAfterThePageOpenedAppearsWithoutAReload()
    {
        var page = Render<RunsPage>();
        page.WaitForAssertion(() => Assert.Contains("No runs match.", page.Markup, StringComparison.Ordinal));

        var done = await RunParameterChangeAsync();

        page.WaitForAssertion(() => Assert.Contains(done.Summary.Name, page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARunsPageDrawsTheGraphWithThePathTakenAndListsItsHistory()
    {
        var done = await RunParameterChangeAsync();

        var page = Render<RunPage>(p => p.Add(x => x.ExecutionId, done.Summary.ExecutionId));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("g[data-state='ApplyParameterChange']")));
        Assert.Equal("true", page.Find("g[data-state='RouteEvent']").GetAttribute("data-visited"));
        Assert.Equal("true", page.Find("g[data-state='ApplyParameterChange']").GetAttribute("data-visited"));
        Assert.Equal("false", page.Find("g[data-state='CheckTraining']").GetAttribute("data-visited"));
        Assert.NotEmpty(page.FindAll("path[data-taken='true']"));
        var history = page.FindAll("tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains(history, r => r.Contains("ExecutionStarted", StringComparison.Ordinal));
        Assert.Contains(history, r => r.Contains("ExecutionSucceeded", StringComparison.Ordinal));
        Assert.Contains("Human-Sampling-Interval", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void ARunThatDoesNotExistSaysSo()
    {
        var page = Render<RunPage>(p => p.Add(x => x.ExecutionId, "no-such-run"));

        page.WaitForAssertion(() => Assert.Contains("There is no run with the id 'no-such-run'.", page.Markup, StringComparison.Ordinal));
    }
}
