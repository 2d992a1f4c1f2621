using CustomLabels.Core;
using Microsoft.AspNetCore.Components;

namespace CustomLabels.Web.Components.Shared;

/// <summary>
/// A page that loads from Core and reloads when the pipeline changes: it subscribes to <see cref="PipelineEvents"/>
/// after its first render, marshals each change onto its render context, coalesces changes that arrive while a load
/// runs, and cancels its loads when it goes away.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private IDisposable? _subscription;
    private Task _reload = Task.CompletedTask;
    private bool _reloadPending;

    [Inject]
    private PipelineEvents Events { get; set; } = default!;

    /// <summary>True until the first load finishes.</summary>
    protected bool Loading { get; private set; } = true;

    /// <summary>Why the last load failed, or null.</summary>
    protected string? LoadError { get; private set; }

    /// <summary>Cancelled when the page is disposed.</summary>
    protected CancellationToken PageToken => _lifetime.Token;

    /// <summary>The kinds of change this page shows.</summary>
    protected abstract IReadOnlyCollection<PipelineEventKind> WatchedKinds { get; }

    /// <summary>Loads the page's data.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    protected override Task OnParametersSetAsync() => ReloadAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _subscription = Events.Subscribe(OnPipelineEvent);
        }
    }

    /// <summary>Loads again, keeping what is shown until the new data arrives.</summary>
    protected async Task ReloadAsync()
    {
        try
        {
            await LoadAsync(PageToken);
            LoadError = null;
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // The page shows why it could not load instead of breaking the circuit.
        // A redirect while the page is rendered on the server is a NavigationException that the framework turns into
        // the redirect: it is not a failure to load, and must reach the framework.
        catch (Exception ex) when (ex is not NavigationException)
#pragma warning restore CA1031
        {
            LoadError = ex.Message;
        }
        finally
        {
            Loading = false;
        }
    }

    private void OnPipelineEvent(PipelineEvent change)
    {
        if (!WatchedKinds.Contains(change.Kind) || PageToken.IsCancellationRequested)
        {
            return;
        }

        _ = InvokeAsync(QueueReloadAsync);
    }

    private async Task QueueReloadAsync()
    {
        // Runs on the render context, so the flags need no lock; a burst of changes costs at most two loads.
        if (!_reload.IsCompleted)
        {
            _reloadPending = true;
            return;
        }

        do
        {
            _reloadPending = false;
            _reload = ReloadAsync();
            await _reload;
            if (!PageToken.IsCancellationRequested)
            {
                StateHasChanged();
            }
        }
        while (_reloadPending && !PageToken.IsCancellationRequested);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _subscription?.Dispose();
            _lifetime.Cancel();
            _lifetime.Dispose();
        }
    }
}
