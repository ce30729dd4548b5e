"""python -m kiosk --server URL [--data DIR] [--fullscreen]: the lobby touch kiosk (Kivy).

Which file does what:
    __main__.py     command line (screen.cli); Kivy environment and window (screen.launch), then KioskApp
    app.py          KioskApp: screens, manifest in use, idle reset, overlays, commands, analytics
    kiosk.kv        header bar, overlays (idle, alert, attract), image viewer
    home.py/.kv     category tiles with counts, search bar, feedback QR + satisfaction tap
    category.py/.kv items of a category (RecycleView) with the 公示 badge
    item.py/.kv     Markdown-subset body, images, table (RecycleView), the item's QR code
    searchscreen.py/.kv  on-screen keyboard, results per key (pinyin initials or text)
    overlays.py     idle countdown and attract loop layers; viewer.py the full-screen image viewer
    search.py       the search index (pinyin initials via content.searchkeys)
What both screen apps share is the screen/ package: sync client and cache, pairing screen, fonts,
theme, QR textures, PDF pages, remote commands, screenshot upload, the shared KV rules
(screen/widgets.kv) and the pure display logic (screen/present.py: tiles, badge, tables; screen/markdown.py: item bodies).
Without DISPLAY, Kivy's bundled SDL renders offscreen (screenshots still work).
"""
from __future__ import annotations

import os
import sys

from screen.cli import build_parser as screen_parser, parse_size

__all__ = ["build_parser", "main"]


def build_parser():
    parser = screen_parser(
        "python -m kiosk", "Gongkai lobby touch kiosk: browse, search and read disclosed items; feedback by QR.",
        default_size="1080x1920", default_data="~/.local/share/gongkai-kiosk")
    parser.add_argument("--idle-seconds", type=float, default=60.0, metavar="S", help="idle time before the countdown")
    parser.add_argument("--countdown-seconds", type=float, default=20.0, metavar="S", help="countdown before reset")
    parser.add_argument("--attract-seconds", type=float, default=300.0, metavar="S",
                        help="idle time on the home screen before the attract loop")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    data = os.path.abspath(args.data or os.path.expanduser("~/.local/share/gongkai-kiosk"))
    w, h = parse_size(args.size)
    from screen.launch import prepare_window, run_with_sync
    if not prepare_window("python -m kiosk", data, (w, h), args.fullscreen,
                          (("input", "mouse", "mouse,disable_multitouch"),)):
        return 2

    def make_app(sync):
        from kiosk.app import KioskApp
        return KioskApp(sync, server_url=args.server, data_dir=data, idle_seconds=args.idle_seconds,
                        countdown_seconds=args.countdown_seconds, attract_seconds=args.attract_seconds)
    return run_with_sync(make_app, args.server, data, "kiosk", (w, h))


if __name__ == "__main__":
    sys.exit(main())
