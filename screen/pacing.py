"""Frame pacing for screens that run unattended for months on software GL (docs/architecture.md).

Two rules, both measured (tests/benchmarks/screen_soak.py):

1. Every frame is finished before it is shown: glFinish just before the swap. Offscreen (SDL's EGL
   pbuffer: the demo, the tests, a screen started without a display) the swap flushes nothing, so
   Mesa's llvmpipe kept each frame's commands queued (about 0.5 MB per 1080p frame) and drew the
   backlog only when something forced it — the signage player grew by 27 MB/s, and a screenshot
   came back minutes late showing a minutes-old clock. On a real display the swap already waits for
   the frame, so finishing first costs nothing there.
2. The main loop runs only as often as something on screen can change: `set_rate(IDLE_FPS)` while
   nothing animates (the signage night screen, whose clock moves once a minute), `set_rate(None)`
   for the normal rate. Kivy's loop otherwise wakes 60 times a second to look for work.
"""
from __future__ import annotations

__all__ = ["IDLE_FPS", "finish_frames", "rate", "set_rate"]

IDLE_FPS = 2.0  # wake-ups per second while nothing moves: remote commands and feeds within 0.5 s

_normal: float | None = None
_installed: set = set()


def finish_frames(window) -> None:
    """Make `window` finish each frame before its swap (once per window)."""
    if id(window) in _installed:
        return
    from kivy.graphics.opengl import glFinish
    window.bind(on_flip=lambda *_: glFinish())  # bound handlers run before the default one, the swap
    _installed.add(id(window))


def set_rate(fps: float | None) -> None:
    """Wake the Kivy main loop at most `fps` times a second; None restores the configured rate."""
    global _normal
    from kivy.clock import Clock
    if _normal is None:
        _normal = Clock._max_fps  # Config's graphics/maxfps, read by Kivy at start (60)
    Clock._max_fps = float(_normal if fps is None else fps)


def rate() -> float:
    """The loop's current maximum rate (0: unlimited)."""
    from kivy.clock import Clock
    return Clock._max_fps
