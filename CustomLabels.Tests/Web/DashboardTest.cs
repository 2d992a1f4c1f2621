using CustomLabels.Tests.Core.Models;
using Bunit;
using Bunit.TestDoubles;
using CustomLabels.Core;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using CustomLabels.Web.Components;

namespace CustomLabels.Tests.Web;

/// <summary>
/// The base of every component test: MudBlazor's services and loose JS interop, a signed-in operator, and behind
/// them the real Core of the embedded backend (as the app registers it) on a data directory in a temp folder.
/// A test replaces one port with a decorator (see <see cref="Ports"/>) to see a page wait or fail.
/// </summary>
public abstract class DashboardTest : BunitContext, IAsyncLifetime
{
    private readonly IHost _core;

    protected DashboardTest()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Development" });
        builder.Configuration[$"{CustomLabelsOptions.SectionName}:{nameof(CustomLabelsOptions.DataDirectory)}"] = Temp.Path;
        ConfigureCore(builder);
        builder.AddCustomLabelsCore();
        ConfigureCoreServices(builder.Services);
        _core = builder.Build();

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddDashboardPageServices(options => options.PopoverOptions.CheckForPopoverProvider = false);
        Services.AddFallbackServiceProvider(_core.Services);
        // The pages' own helpers (TrainingSetEditor, SampleImages, WorkflowDefinitionSource) are built by the test's container,
        // which does not hand the fallback's services to constructors: the Core services they take are named here.
        Forward<IObjectStore>();
        Forward<PipelineEvents>();
        Forward<IWorkflowService>();
        Forward<ICustomLabelsModel>();
        Forward<IOptions<WorkflowOptions>>();
        Authorization = AddAuthorization();
        SignInAs("operator", "Operator");
    }

    protected TempDirectory Temp { get; } = new();

    /// <summary>The real Core services: resolve a port here to put data behind a page.</summary>
    protected IServiceProvider Core => _core.Services;

    protected PipelineEvents Events => Core.GetRequiredService<PipelineEvents>();

    protected IObjectStore Store => Core.GetRequiredService<IObjectStore>();

    protected BunitAuthorizationContext Authorization { get; }

    /// <summary>Extra configuration of the Core host (e.g. shorter schedules) before it is built.</summary>
    protected virtual void ConfigureCore(HostApplicationBuilder builder)
    {
    }

    /// <summary>Replaces Core's services (e.g. a decorator of the model) after Core has registered its own.</summary>
    protected virtual void ConfigureCoreServices(IServiceCollection services)
    {
    }

    /// <summary>Signs in a user whose principal id is <c>user:&lt;userName&gt;</c>, as the app's claims have it.</summary>
    protected void SignInAs(string userName, params string[] roles)
    {
        Authorization.SetAuthorized(userName);
        Authorization.SetRoles(roles);
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, $"user:{userName}"));
    }

    // As an instance, so that the test's container leaves disposing it to the Core host.
    private void Forward<T>()
        where T : class => Services.AddSingleton(_core.Services.GetRequiredService<T>());

    /// <summary>Replaces a port for the page with a decorator of the real one.</summary>
    protected void Decorate<T>(Func<T, T> decorate)
        where T : class => Services.AddSingleton(decorate(Core.GetRequiredService<T>()));

    /// <summary>Puts a real image of the shared data set into the bucket.</summary>
    protected Task<ObjectInfo> PutSampleImageAsync(string key, string label = "geany", int index = 1) =>
        Store.PutBytesAsync(key, File.ReadAllBytes(Path.Combine(ModelTestEnvironment.LogosDev, "train", label, $"{label}_{index:00}.jpg")));

    /// <summary>
    /// Opens a real review loop on a shared image of godot, with the model's two top labels (by default without the
    /// regions that decided them).
    /// </summary>
    protected async Task<HumanLoop> StartLoopAsync(
        string name,
        HumanLoopReason reason = HumanLoopReason.LowConfidence,
        int image = 1,
        IReadOnlyList<CustomLabel>? labels = null)
    {
        var key = $"images_for_detection/{name}.jpg";
        var stored = await PutSampleImageAsync(key, "godot", image);
        return await Core.GetRequiredService<IHumanReview>().StartHumanLoopAsync(new StartHumanLoopRequest(
            name,
            new HumanLoopInput(key, labels ?? [new CustomLabel("godot", 41.5f), new CustomLabel("keepassxc", 12f)], reason, null, ["godot", "keepassxc"])
            {
                ImageETag = stored.ETag,
            }));
    }

    /// <summary>
    /// Records a detection in the real detection log, as a finished detection run does; sent by
    /// <c>requesterId</c>, <c>user:&lt;requestedBy&gt;</c> unless given.
    /// </summary>
    protected Task RecordDetectionAsync(
        string requestId, string label, float confidence, string requestedBy = "carl", string? humanLoopName = null, string? requesterId = null) =>
        Core.GetRequiredService<IDetectionLog>().RecordDetectionAsync(new DetectionRecord
        {
            RequestId = requestId,
            Time = DateTimeOffset.UtcNow,
            ObjectKey = $"images_for_detection/{requestId}.jpg",
            Label = label,
            Confidence = confidence,
            Labels = [new CustomLabel(label, confidence)],
            Threshold = 70,
            HumanLoopName = humanLoopName,
            RequestedBy = requestedBy,
            RequesterId = requesterId ?? $"user:{requestedBy}",
        });

    public virtual Task InitializeAsync() => _core.StartAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        // MudBlazor's services dispose only asynchronously, so the context is disposed here, before xunit's Dispose.
        await DisposeAsync();
        await _core.StopAsync();
        _core.Dispose();
        Temp.Dispose();
    }
}
