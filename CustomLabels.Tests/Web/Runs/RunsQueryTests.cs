using CustomLabels.Core.Workflow;
using CustomLabels.Web.Components.Pages.Runs;

namespace CustomLabels.Tests.Web.Runs;

public sealed class RunsQueryTests
{
    [Fact]
    public void StatusAndBranchFromTheUrlBecomeTheQuery()
    {
        Assert.True(RunsQuery.TryParse("TIMED_OUT", "training", "t1", out var query, out var error));
        Assert.Null(error);
        Assert.Equal(new ExecutionQuery(ExecutionStatus.TimedOut, "training", "t1", RunsQuery.PageSize), query);
    }

    [Fact]
    public void AnUnknownStatusIsRefusedNamingTheStatuses()
    {
        Assert.False(RunsQuery.TryParse("DONE", null, null, out _, out var error));
        Assert.Contains("RUNNING, SUCCEEDED", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownBranchIsRefusedNamingTheBranches()
    {
        Assert.False(RunsQuery.TryParse(null, "cooking", null, out _, out var error));
        Assert.Contains("parameter, training, detection, review, sampling", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ARunningExecutionsDurationCountsUpToNow()
    {
        var start = DateTimeOffset.UnixEpoch;
        var run = new ExecutionSummary("id", "name", "training", ExecutionStatus.Running, start, null);
        Assert.Equal("90 s so far", RunsQuery.DurationOf(run, start.AddSeconds(90)));
        Assert.Equal("3 min", RunsQuery.DurationOf(run with { Status = ExecutionStatus.Succeeded, StopDate = start.AddMinutes(3) }, start.AddDays(1)));
    }
}
