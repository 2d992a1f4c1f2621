using Bunit;
using CustomLabels.Core.Models;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Core.Models;
using CustomLabels.Tests.Web.Api;
using Microsoft.Extensions.DependencyInjection;
using DetectionPage = CustomLabels.Web.Components.Pages.Detection.DetectionPage;

namespace CustomLabels.Tests.Web.Detection;

/// <summary>The detection page when the running model says where it found each label (<see cref="ServedLabelsModel"/>).</summary>
public sealed class DetectionPageRegionTests : DashboardTest
{
    public DetectionPageRegionTests() => SignInAs("carl", "Consumer");

    protected override void ConfigureCoreServices(IServiceCollection services) => ServedLabelsModel.Register(services, ServedRegionsApp.Labels);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await ServedLabelsModel.DeployAsync(Core.GetRequiredService<SystemStateStore>());
    }

    [Fact]
    public async Task TheDetectedImageShowsWhereTheModelFoundItsTopLabel()
    {
        var page = Render<DetectionPage>();
        page.WaitForAssertion(() => Assert.Contains("You have not sent an image yet.", page.Markup, StringComparison.Ordinal));

        await page.InvokeAsync(() => page.Instance.OnPastedAsync("godot.jpg", Convert.ToBase64String(TestImages.Jpeg())));

        page.WaitForAssertion(() => page.Find("[aria-label='Detection result'] [data-region-frame]"));
        var frame = page.Find("[aria-label='Detection result'] [data-region-frame]");
        Assert.Contains("images_for_detection%2F", frame.QuerySelector("img")!.GetAttribute("src"), StringComparison.Ordinal);
        var region = Assert.Single(frame.QuerySelectorAll("[data-region]"));
        Assert.Equal("model", region.GetAttribute("data-region"));
        Assert.Equal("left:10%;top:20%;width:30%;height:40%", region.GetAttribute("style"));
        Assert.Equal("godot", region.TextContent.Trim());
        Assert.Single(Assert.IsType<ServedLabelsModel>(Core.GetRequiredService<ICustomLabelsModel>()).Requests);
    }
}
