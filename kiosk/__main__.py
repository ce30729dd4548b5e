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

import os
import sys

from content.screen_cli import build_parser as screen_parser, parse_size

__all__ = ["build_parser", "main"]


def build_parser():
    parser = screen_parser(
        "python -m kiosk", "Gongkai lobby touch kiosk: browse, search and read disclosed items; feedback by QR.",
        default_size="1080x1920", default_data="~/.local/share/gongkai-kiosk")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="idle time before the countdown")
    parser.add_argument("--countdown-seconds", type=float, default=20.0, help="countdown before reset")
    parser.add_argument("--attract-seconds", type=float, default=300.0,
                        help="idle time on the home screen before the attract loop")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    data = os.path.abspath(args.data or os.path.expanduser("~/.local/share/gongkai-kiosk"))
    w, h = parse_size(args.size)
    from kiosk.launch import prepare_window, run_with_sync
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
