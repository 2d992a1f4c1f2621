using Bunit;
using CustomLabels.Core.Models;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Review;
using CustomLabels.Web.Components.Pages.Overview;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Overview;

public sealed class OverviewPageTests : DashboardTest
{
    [Fact]
    public void AFreshInstallShowsTheFirstRunChecklistInsteadOfAnErrorAndEmptySections()
    {
        var page = Render<OverviewPage>();

        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll("[data-testid='first-run-step']").Count));
        Assert.All(page.FindAll("[data-testid='first-run-step']"), step => Assert.Equal("false", step.GetAttribute("data-done")));
        Assert.Contains("Add training images", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("No running model", page.Markup, StringComparison.Ordinal);
        Assert.Empty(page.FindAll(".mud-alert-filled-error, .mud-alert-text-error"));
        Assert.Contains("0 / 10", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Open review loops (0)", page.Markup, StringComparison.Ordinal);
        Assert.Equal(3, page.FindAll("p").Count(p => p.TextContent.Trim() == "None."));
    }

    [Fact]
    public async Task WhileItLoadsTheOverviewShowsProgressThenImagesLoopsAndNotifications()
    {
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_02.jpg", index: 2);
        await StartLoopAsync("loop-a");
        await Core.GetRequiredService<INotifier>().PublishAsync(new Notification(NotificationTopic.Operator, "Training started", "v1 is training", DateTimeOffset.UtcNow));
        var gate = new TaskCompletionSource();
        Decorate<ICustomLabelsModel>(m => Ports.Gated(m, gate.Task));

        var page = Render<OverviewPage>();
        Assert.NotNull(page.Find("[aria-label='Loading']"));

        gate.SetResult();
        page.WaitForAssertion(() => Assert.Contains("2 / 10", page.Markup, StringComparison.Ordinal));
        Assert.Contains("Open review loops (1)", page.Markup, StringComparison.Ordinal);
        Assert.Contains("loop-a", page.Markup, StringComparison.Ordinal);
        Assert.Contains("low confidence", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Training started", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImagesAnsweredNoneOfTheAboveCountAmongTheUntrainedAndTheOverviewSaysHowMany()
    {
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        await PutSampleImageAsync("images_rejected/review-one-00000000-0000-0000-0000-000000000001-a.jpg", "godot", 2);
        await PutSampleImageAsync("images_rejected/review-two-00000000-0000-0000-0000-000000000002-b.jpg", "godot", 3);

        var page = Render<OverviewPage>();

        page.WaitForAssertion(() => Assert.Contains("3 / 10", page.Markup, StringComparison.Ordinal));
        Assert.Equal("2 of them answered \"none of the above\"", page.Find("[data-testid='untrained-rejected']").TextContent.Trim());
    }

    [Fact]
    public async Task TheChecklistTicksTheStepsThePipelineHasBeenThrough()
    {
        // One label is not a training set yet; two are.
        await PutSampleImageAsync("images_labeled_by_folder/geany/geany_01.jpg");
        var page = Render<OverviewPage>();
        page.WaitForAssertion(() => Assert.Equal(["false", "false", "false", "false"], DoneFlags(page)));
        page.Dispose();

        await PutSampleImageAsync("images_labeled_by_folder/godot/godot_01.jpg", "godot");
        await RecordDetectionAsync("request-1", "godot", 55f, humanLoopName: "loop-c");
        await StartLoopAsync("loop-c");
        await Core.GetRequiredService<IHumanReview>().AnswerHumanLoopAsync("loop-c", HumanLoopAnswer.ForLabel("godot"), "rita");

        page = Render<OverviewPage>();
        // Images, a detection and an answered review are done; training is not.
        page.WaitForAssertion(() => Assert.Equal(["true", "false", "true", "true"], DoneFlags(page)));
        Assert.Contains("Train a model", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void TheTrainingStepIsDoneOnceAVersionHasBeenTrainedAndTheListGoesAwayWhenAllAre()
    {
        var training = Version("v1", ProjectVersionStatus.TrainingInProgress);
        var failed = Version("v0", ProjectVersionStatus.TrainingFailed);
        var stopped = Version("v2", ProjectVersionStatus.Stopped);

        Assert.False(FirstRunChecklist.Of(2, [training, failed], detected: true, reviewed: true).ModelTrained);
        Assert.Contains("Training now", FirstRunChecklist.Of(2, [training], true, true).Steps[1].Hint, StringComparison.Ordinal);
        Assert.True(FirstRunChecklist.Of(2, [failed, stopped], true, true).ModelTrained);
        Assert.True(FirstRunChecklist.Of(2, [stopped], detected: true, reviewed: true).Complete);
        Assert.False(FirstRunChecklist.Of(1, [stopped], detected: true, reviewed: true).Complete);
    }

    [Fact]
    public void WithAVersionTrainedButNoneRunningTheOverviewSaysDetectionsFail()
    {
        var settings = CustomLabels.Core.Parameters.PipelineSettings.From([]);
        var alerts = OverviewState.AlertsOf([Version("v1", ProjectVersionStatus.Stopped)], running: null, settings);
        Assert.Contains(alerts, a => a.Severity == "error" && a.Text.StartsWith("No running model", StringComparison.Ordinal));
        Assert.DoesNotContain(
            OverviewState.AlertsOf([Version("v1", ProjectVersionStatus.TrainingInProgress)], running: null, settings),
            a => a.Text.StartsWith("No running model", StringComparison.Ordinal));
    }

    private static string[] DoneFlags(IRenderedComponent<OverviewPage> page) =>
        [.. page.FindAll("[data-testid='first-run-step']").Select(step => step.GetAttribute("data-done") ?? "missing")];

    private static ProjectVersion Version(string name, ProjectVersionStatus status) =>
        new() { VersionName = name, ProjectVersionArn = $"arn:customlabels:project/version/{name}", Status = status, CreationTimestamp = DateTimeOffset.UtcNow };

    [Fact]
    public void WhenTheModelCannotBeDescribedThePageShowsWhy()
    {
        Decorate<ICustomLabelsModel>(m => Ports.Failing(m, new IOException("The model registry cannot be read.")));

        var page = Render<OverviewPage>();

        page.WaitForAssertion(() => Assert.Equal("The model registry cannot be read.", page.Find("[role='alert']").TextContent.Trim()));
    }

    [Fact]
    public async Task ALoopOpenedWhileThePageIsOpenAppearsWithoutAReload()
    {
        var page = Render<OverviewPage>();
        page.WaitForAssertion(() => Assert.Contains("Open review loops (0)", page.Markup, StringComparison.Ordinal));

        await StartLoopAsync("loop-b", HumanLoopReason.Sampling, image: 2);

        page.WaitForAssertion(() => Assert.Contains("Open review loops (1)", page.Markup, StringComparison.Ordinal));
    }
}
