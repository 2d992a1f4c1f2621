// Hands an image pasted anywhere on the page to the detection page, as base64 with its type.
export function listen(dotnet) {
    const handler = async (event) => {
        const item = [...(event.clipboardData?.items ?? [])].find(i => i.kind === 'file' && i.type.startsWith('image/'));
        if (!item) {
            return;
        }
        event.preventDefault();
        const file = item.getAsFile();
        const bytes = new Uint8Array(await file.arrayBuffer());
        let binary = '';
        for (let i = 0; i < bytes.length; i += 0x8000) {
            binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        }
        await dotnet.invokeMethodAsync('OnPastedAsync', file.name || 'pasted.png', btoa(binary));
    };
    document.addEventListener('paste', handler);
    return { dispose: () => document.removeEventListener('paste', handler) };
}
