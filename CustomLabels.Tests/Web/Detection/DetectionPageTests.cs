using Bunit;
using CustomLabels.Core.Detections;
using CustomLabels.Tests.Core.Models;
using DetectionPage = CustomLabels.Web.Components.Pages.Detection.DetectionPage;

namespace CustomLabels.Tests.Web.Detection;

public sealed class DetectionPageTests : DashboardTest
{
    public DetectionPageTests() => SignInAs("carl", "Consumer");

    [Fact]
    public void WithNoDetectionsThePageSaysNoneWasSent()
    {
        var page = Render<DetectionPage>();

        page.WaitForAssertion(() => Assert.Contains("You have not sent an image yet.", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileTheHistoryLoadsThePageShowsProgressThenOnlyTheUsersOwnDetections()
    {
        await RecordDetectionAsync("mine-1", "godot", 91.5f);
        await RecordDetectionAsync("mine-2", "geany", 40f, humanLoopName: "loop-mine-2");
        await RecordDetectionAsync("theirs", "keepassxc", 88f, requestedBy: "dora");
        var gate = new TaskCompletionSource();
        Decorate<IDetectionLog>(l => Ports.Gated(l, gate.Task));

        var page = Render<DetectionPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));

        gate.SetResult();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count));
        var rows = page.Find("tbody").TextContent;
        Assert.Contains("godot", rows, StringComparison.Ordinal);
        Assert.Contains("in review (loop-mine-2)", rows, StringComparison.Ordinal);
        Assert.DoesNotContain("keepassxc", rows, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADetectionByAnotherCallerOfTheSameNameIsNotListed()
    {
        await RecordDetectionAsync("mine", "godot", 91.5f);
        await RecordDetectionAsync("namesake", "keepassxc", 88f, requesterId: "api-key-id:someone-else");

        var page = Render<DetectionPage>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("tbody tr")));
        Assert.DoesNotContain("keepassxc", page.Find("tbody").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenTheDetectionLogFailsThePageShowsWhy()
    {
        Decorate<IDetectionLog>(l => Ports.Failing(l, new IOException("The detection log cannot be read.")));

        var page = Render<DetectionPage>();

        page.WaitForAssertion(() => Assert.Equal("The detection log cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }

    [Fact]
    public async Task AnImagePastedWithNoRunningModelSaysToTrainFirstAndStoresNothing()
    {
        var page = Render<DetectionPage>();
        page.WaitForAssertion(() => Assert.Contains("You have not sent an image yet.", page.Markup, StringComparison.Ordinal));
        var image = File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "train", "godot", "godot_01.jpg"));

        await page.InvokeAsync(() => page.Instance.OnPastedAsync("godot.jpg", Convert.ToBase64String(image)));

        page.WaitForAssertion(() => Assert.Contains("No model version is running yet", page.Find("[role='alert']").TextContent, StringComparison.Ordinal));
        Assert.Empty((await Store.ListAsync("images_for_detection/")).Objects);
    }

    [Fact]
    public async Task PastingSomethingThatIsNotAnImageSaysSo()
    {
        var page = Render<DetectionPage>();
        page.WaitForAssertion(() => Assert.Contains("You have not sent an image yet.", page.Markup, StringComparison.Ordinal));

        await page.InvokeAsync(() => page.Instance.OnPastedAsync("notes.txt", Convert.ToBase64String("just text"u8.ToArray())));

        page.WaitForAssertion(() => Assert.Equal("The file is not an image in a supported format (JPEG, PNG, WebP, BMP or GIF).", page.Find("[role='alert']").TextContent.Trim()));
        Assert.Empty((await Store.ListAsync("images_for_detection/")).Objects);
    }
}
