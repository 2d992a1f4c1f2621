// Lets a reviewer draw a box on an image by dragging on it (mouse, pen or touch, through pointer events). While the
// pointer moves, the frame's [data-region-preview] element shows the box; when it is let go, the box goes to .NET as
// fractions of the image (left, top, width, height). The frame's box is the image's, so its coordinates are the image's.
// While attached, the frame carries data-drawing="attached". Attaching focuses the card, so that its answer keys work
// at once.
export function attach(frame, dotnet) {
    const preview = frame.querySelector('[data-region-preview]');
    let start = null;
    let pointer = null;

    const at = (event) => {
        const bounds = frame.getBoundingClientRect();
        const clamp = (value) => Math.min(1, Math.max(0, value));
        return {
            x: clamp((event.clientX - bounds.left) / bounds.width),
            y: clamp((event.clientY - bounds.top) / bounds.height),
        };
    };
    const boxOf = (a, b) => ({
        left: Math.min(a.x, b.x),
        top: Math.min(a.y, b.y),
        width: Math.abs(a.x - b.x),
        height: Math.abs(a.y - b.y),
    });
    const show = (box) => {
        if (!preview) {
            return;
        }
        if (!box) {
            preview.style.display = 'none';
            return;
        }
        Object.assign(preview.style, {
            display: 'block',
            left: `${box.left * 100}%`,
            top: `${box.top * 100}%`,
            width: `${box.width * 100}%`,
            height: `${box.height * 100}%`,
        });
    };
    const end = () => {
        if (pointer !== null && frame.hasPointerCapture?.(pointer)) {
            frame.releasePointerCapture(pointer);
        }
        start = null;
        pointer = null;
        show(null);
    };

    const onDown = (event) => {
        if (event.button !== 0 || start) {
            return;
        }
        event.preventDefault();
        // The answer keys (1-9, N) listen on the card: keep it focused while the reviewer draws.
        frame.closest('[data-review-keys]')?.focus({ preventScroll: true });
        start = at(event);
        pointer = event.pointerId;
        frame.setPointerCapture(pointer);
        show(boxOf(start, start));
    };
    const onMove = (event) => {
        if (start && event.pointerId === pointer) {
            show(boxOf(start, at(event)));
        }
    };
    const onUp = (event) => {
        if (!start || event.pointerId !== pointer) {
            return;
        }
        const box = boxOf(start, at(event));
        end();
        // A click, or a box too small to mean anything, draws nothing.
        if (box.width >= 0.01 && box.height >= 0.01) {
            dotnet.invokeMethodAsync('OnRegionDrawnAsync', box.left, box.top, box.width, box.height);
        }
    };
    const onCancel = (event) => {
        if (event.pointerId === pointer) {
            end();
        }
    };
    // The browser's own reactions to a press and drag on an image (selecting, dragging the image away) would fight the box.
    const onMouseDown = (event) => event.preventDefault();
    const onDragStart = (event) => event.preventDefault();

    const listeners = {
        pointerdown: onDown,
        pointermove: onMove,
        pointerup: onUp,
        pointercancel: onCancel,
        mousedown: onMouseDown,
        dragstart: onDragStart,
    };
    frame.dataset.drawing = 'attached';
    for (const [type, listener] of Object.entries(listeners)) {
        frame.addEventListener(type, listener);
    }

    // The answer keys work as soon as the card shows: it takes the focus, unless the reviewer is typing elsewhere.
    const active = document.activeElement;
    if (!active || active === document.body || !active.matches('input, textarea, select, [contenteditable]')) {
        frame.closest('[data-review-keys]')?.focus({ preventScroll: true });
    }

    return {
        dispose: () => {
            end();
            delete frame.dataset.drawing;
            for (const [type, listener] of Object.entries(listeners)) {
                frame.removeEventListener(type, listener);
            }
        },
    };
}
