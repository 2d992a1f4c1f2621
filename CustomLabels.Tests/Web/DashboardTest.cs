using Bunit;
using Bunit.TestDoubles;
using CustomLabels.Core;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;

namespace CustomLabels.Tests.Web;

/// <summary>
/// The base of every component test: MudBlazor's services, loose JS interop, the pipeline event hub, a signed-in
/// operator, and a real object store in a temp folder. Tests add the real Core services their page needs.
/// </summary>
public abstract class DashboardTest : BunitContext
{
    protected DashboardTest()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(options => options.PopoverOptions.CheckForPopoverProvider = false);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton(Events);
        Services.AddSingleton<IObjectStore>(Store);
        Authorization = AddAuthorization();
        Authorization.SetAuthorized("operator");
        Authorization.SetRoles("Operator");
    }

    protected TempDirectory Temp { get; } = new();

    protected PipelineEvents Events { get; } = new();

    protected BunitAuthorizationContext Authorization { get; }

    private FileObjectStore? _store;

    protected FileObjectStore Store => _store ??= new FileObjectStore(Temp.Path, NullLogger<FileObjectStore>.Instance);

    /// <summary>Puts a real image of the shared data set into the bucket.</summary>
    protected Task<ObjectInfo> PutSampleImageAsync(string key, string label = "geany", int index = 1) =>
        Store.PutBytesAsync(key, File.ReadAllBytes(TestDatasets.LogosDevFile("train", label, $"{label}_{index:00}.jpg")));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Temp.Dispose();
        }
    }
}
