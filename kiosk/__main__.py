"""python -m kiosk --server URL [--data DIR] [--fullscreen]: the lobby touch kiosk (Kivy).

Which file does what:
    __main__.py     command line; Kivy environment and window settings, then KioskApp.run()
    env.py          KIVY_HOME/KIVY_NO_ARGS/... set before the first Kivy import
    fonts.py        finds and registers a CJK font (fails loudly without one)
    app.py          KioskApp: screens, manifest in use, idle reset, overlays, commands, analytics
    kiosk.kv        shared widgets (KLabel, KButton...), header bar, overlays (idle, identify, alert)
    pairing.py/.kv  the pairing code, big, until an admin approves the screen
    home.py/.kv     category tiles with counts, search bar, feedback QR + satisfaction tap
    category.py/.kv items of a category (RecycleView) with the 公示 badge
    item.py/.kv     Markdown-subset body, images, table (RecycleView), the item's QR code
    searchscreen.py/.kv  on-screen keyboard, results per key (pinyin initials or text)
    model.py        pure logic: tiles, counts, badge, Markdown subset, safe text, tables
    search.py       the search index (pinyin initials via pypinyin)
    qr.py, theme.py, upload.py  QR textures; colours/sizes/contrast; screenshot upload
Without DISPLAY, Kivy's bundled SDL renders offscreen (screenshots still work).
"""
from __future__ import annotations

import argparse
import os
import sys

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kiosk",
        description="Gongkai lobby touch kiosk: browse, search and read disclosed items; feedback by QR.")
    parser.add_argument("--server", required=True, metavar="URL", help="content server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="cache folder (device.json, manifest, media); default ~/.local/share/gongkai-kiosk")
    parser.add_argument("--fullscreen", action="store_true", help="run full screen")
    parser.add_argument("--size", default="1080x1920", metavar="WxH",
                        help="window size when not full screen (default 1080x1920, portrait)")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="idle time before the countdown")
    parser.add_argument("--countdown-seconds", type=float, default=20.0, help="countdown before reset")
    parser.add_argument("--attract-seconds", type=float, default=300.0,
                        help="idle time on the home screen before the attract loop")
    return parser


def _size(value: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--size: expected WxH such as 1080x1920, not {value!r}") from None
    if not (100 <= w <= 8000 and 100 <= h <= 8000):
        raise SystemExit(f"--size: {value} is out of range")
    return w, h


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    data = os.path.abspath(args.data or os.path.expanduser("~/.local/share/gongkai-kiosk"))
    w, h = _size(args.size)
    from kiosk.env import prepare_kivy_env
    prepare_kivy_env(os.path.join(data, "kivy"))
    from kiosk.fonts import FontMissing, register_cjk_font
    from kivy.config import Config
    Config.set("graphics", "width", str(w))
    Config.set("graphics", "height", str(h))
    Config.set("graphics", "fullscreen", "auto" if args.fullscreen else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    try:
        register_cjk_font()
    except FontMissing as exc:
        print(f"python -m kiosk: {exc}", file=sys.stderr)
        return 2
    from content.sync import SyncClient
    from kiosk.app import KioskApp
    app = None
    sync = SyncClient(args.server, data, kind="kiosk", screen=(w, h),
                      on_manifest=lambda m: app and app.on_sync_manifest(m),
                      on_status=lambda s: app and app.on_sync_status(s),
                      on_command=lambda n, d: app and app.on_sync_command(n, d))
    app = KioskApp(sync, server_url=args.server, data_dir=data, idle_seconds=args.idle_seconds,
                   countdown_seconds=args.countdown_seconds, attract_seconds=args.attract_seconds)
    sync.start()
    try:
        app.run()
    finally:
        sync.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
