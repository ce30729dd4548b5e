"""Starting a screen app (the kiosk, and the signage player which reuses it): Kivy settings that
must be made before the window exists, the CJK font, then the app and its sync client wired to
each other (the client calls back into the app from its own threads)."""
from __future__ import annotations

import os
import sys

__all__ = ["prepare_window", "run_with_sync"]


def prepare_window(program: str, data: str, size: tuple[int, int], fullscreen: bool,
                   options: tuple = ()) -> bool:
    """Kivy environment, window size, full screen (cursor hidden there) and the CJK font; False
    (after a message on stderr) when no CJK font is installed."""
    from screen.env import prepare_kivy_env, return_freed_memory
    return_freed_memory()
    prepare_kivy_env(os.path.join(data, "kivy"))
    from screen.fonts import FontMissing, register_cjk_font
    from kivy.config import Config
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    for section, key, value in options:
        Config.set(section, key, value)
    try:
        register_cjk_font()
    except FontMissing as exc:
        print(f"{program}: {exc}", file=sys.stderr)
        return False
    return True


def run_with_sync(make_app, server: str, data: str, kind: str, size: tuple[int, int]) -> int:
    """Run `make_app(sync)` with a started SyncClient until the window closes."""
    from screen.sync import SyncClient
    app = None
    sync = SyncClient(server, data, kind=kind, screen=size,
                      on_manifest=lambda m: app and app.on_sync_manifest(m),
                      on_status=lambda s: app and app.on_sync_status(s),
                      on_command=lambda n, d: app and app.on_sync_command(n, d))
    app = make_app(sync)
    app.bind(on_start=_started)
    sync.start()
    try:
        app.run()
    finally:
        sync.close(timeout=0.3, flush_seconds=1.0)  # the last report, with what on_stop queued
    return 0


def _started(app) -> None:
    """The window exists: finish every frame, take over the stop signals, ping systemd."""
    from kivy.core.window import Window
    from screen import lifecycle, pacing
    pacing.finish_frames(Window)
    lifecycle.install(app)
