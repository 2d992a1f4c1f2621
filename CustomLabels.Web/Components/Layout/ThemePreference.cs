using Microsoft.JSInterop;

namespace CustomLabels.Web.Components.Layout;

/// <summary>The signed-in browser's light or dark choice, remembered in its local storage. One per circuit.</summary>
internal sealed class ThemePreference
{
    private const string StorageKey = "customlabels.theme";

    public bool IsDark { get; private set; }

    public event Action? Changed;

    public async Task LoadAsync(IJSRuntime js)
    {
        var stored = await js.InvokeAsync<string?>("localStorage.getItem", StorageKey);
        if (stored is not null && (stored == "dark") != IsDark)
        {
            IsDark = stored == "dark";
            Changed?.Invoke();
        }
    }

    public async Task SetAsync(IJSRuntime js, bool dark)
    {
        IsDark = dark;
        Changed?.Invoke();
        await js.InvokeVoidAsync("localStorage.setItem", StorageKey, dark ? "dark" : "light");
    }
}
