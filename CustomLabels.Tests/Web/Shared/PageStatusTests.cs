using Bunit;
using CustomLabels.Web.Components.Shared;

namespace CustomLabels.Tests.Web.Shared;

public sealed class PageStatusTests : DashboardTest
{
    [Fact]
    public void LoadingErrorEmptyAndDataEachShowTheirOwnState()
    {
        var status = Render<PageStatus>(p => p.Add(x => x.Loading, true).AddChildContent("<p id='data'>data</p>"));
        Assert.NotNull(status.Find("[aria-label='Loading']"));

        status.Render(p => p.Add(x => x.Loading, false).Add(x => x.Error, "the disk is gone"));
        Assert.Equal("the disk is gone", status.Find("[role='alert']").TextContent.Trim());

        status.Render(p => p.Add(x => x.Error, null).Add(x => x.Empty, true).Add(x => x.EmptyText, "Nothing yet."));
        Assert.Contains("Nothing yet.", status.Markup, StringComparison.Ordinal);

        status.Render(p => p.Add(x => x.Empty, false));
        Assert.Equal("data", status.Find("#data").TextContent);
    }
}
