using Bunit;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Detections.Embedded;
using CustomLabels.Core.Models;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Core.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using DetectionPage = CustomLabels.Web.Components.Pages.Detection.DetectionPage;

namespace CustomLabels.Tests.Web.Detection;

/// <summary>A detection sent from the page takes the API's path: the same key, the configured timeout, the run's own threshold.</summary>
public sealed class DetectionPageSubmissionTests : DashboardTest
{
    public DetectionPageSubmissionTests() => SignInAs("carl", "Consumer");

    protected override void ConfigureCoreServices(IServiceCollection services) =>
        ServedLabelsModel.Register(services, [new CustomLabel("godot", 91.5f), new CustomLabel("keepassxc", 12f)]);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await ServedLabelsModel.DeployAsync(Core.GetRequiredService<SystemStateStore>());
    }

    [Fact]
    public async Task APastedFileIsStoredUnderTheNameTheApiWouldGiveIt()
    {
        var page = RenderedPage();

        await page.InvokeAsync(() => page.Instance.OnPastedAsync(@"C:\photos\godot shot (1).jpg", Convert.ToBase64String(TestImages.Jpeg())));

        page.WaitForAssertion(() => page.Find("[aria-label='Detection result'] [data-label='godot']"));
        var stored = Assert.Single((await Store.ListAsync(BucketLayout.DetectionImages)).Objects);
        Assert.EndsWith("-godot_shot__1_.jpg", stored.Key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheResultShowsTheThresholdItsRunUsedAfterTheParameterChanges()
    {
        var page = RenderedPage();
        await page.InvokeAsync(() => page.Instance.OnPastedAsync("godot.jpg", Convert.ToBase64String(TestImages.Jpeg())));
        page.WaitForAssertion(() => Assert.Contains(
            "(threshold 70.0)", page.Find("[aria-label='Detection result'] [data-label='godot']").TextContent, StringComparison.Ordinal));

        await Core.GetRequiredService<IParameterStore>().PutAsync(ParameterNames.MinimumLabelDetectionConfidence, "20", "operator");
        // A later detection makes the page load again, after the change.
        await RecordDetectionAsync("later", "geany", 50f);

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count));
        Assert.Contains("(threshold 70.0)", page.Find("[aria-label='Detection result'] [data-label='godot']").TextContent, StringComparison.Ordinal);
    }

    private IRenderedComponent<DetectionPage> RenderedPage()
    {
        var page = Render<DetectionPage>();
        page.WaitForAssertion(() => Assert.Contains("You have not sent an image yet.", page.Markup, StringComparison.Ordinal));
        return page;
    }
}

/// <summary>The page waits for a run no longer than the configured detection timeout.</summary>
public sealed class DetectionPageTimeoutTests : DashboardTest
{
    private readonly TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DetectionPageTimeoutTests() => SignInAs("carl", "Consumer");

    protected override void ConfigureCore(HostApplicationBuilder builder) =>
        builder.Configuration["CustomLabels:Api:DetectionTimeout"] = "00:00:01";

    // The run's LogDetection step waits until the test ends, so the run outlasts the timeout.
    protected override void ConfigureCoreServices(IServiceCollection services)
    {
        ServedLabelsModel.Register(services, [new CustomLabel("godot", 91.5f)]);
        services.AddSingleton<IDetectionLog>(sp => Ports.Gated<IDetectionLog>(ActivatorUtilities.CreateInstance<SqliteDetectionLog>(sp), _logged.Task));
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await ServedLabelsModel.DeployAsync(Core.GetRequiredService<SystemStateStore>());
    }

    [Fact]
    public async Task ARunThatOutlastsTheConfiguredTimeoutSaysSoWithinIt()
    {
        try
        {
            var page = Render<DetectionPage>();

            var pasted = page.InvokeAsync(() => page.Instance.OnPastedAsync("godot.jpg", Convert.ToBase64String(TestImages.Jpeg())));

            page.WaitForAssertion(
                () => Assert.Contains("did not end within 00:00:01", page.Find("[role='alert']").TextContent, StringComparison.Ordinal),
                TimeSpan.FromSeconds(30));
            await pasted;
        }
        finally
        {
            _logged.SetResult();
        }
    }
}
