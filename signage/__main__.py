"""python -m signage --server URL [--data DIR] [--fullscreen]: the signage slide player (Kivy).

Which file does what:
    __main__.py       command line (content.screen_cli, the same shape as python -m kiosk)
    app.py            SignageApp: pairing → player, manifest in use, overlays, remote commands
    signage.kv        the root layout (ScreenManager)
    player.py/.kv     the rotation: current slide, the next one prepared beneath it, header, ticker
    slides.py/.kv     slide widgets (notice, image, document page, table page, statistics) + QR
    ticker.py/.kv     the 滚动字幕 line
    overlays.py/.kv   emergency alert, night screen (identify reuses the kiosk's)
    textfit.py        text auto-fitted to its box
    display.py        optional display off/on commands for the night screen
    images.py         image decoding off the main thread
    context.py        media files and PDF pages for slides
    proof.py          proof-of-play records into the outbox
The schedule itself (windows, dayparts, opening hours) is content.playlist. Pairing, fonts, QR
codes, the Kivy environment and screenshot upload are the kiosk's modules, imported.
"""
from __future__ import annotations

import os
import sys

from content.screen_cli import build_parser

__all__ = ["main"]


def main(argv=None) -> int:
    args = build_parser("python -m signage", "Gongkai signage player: rotating slides of disclosed items, "
                        "ticker, emergency alerts.").parse_args(argv)
    data = os.path.abspath(args.data or os.path.expanduser("~/.local/share/gongkai-signage"))
    size = (1920, 1080)
    from kiosk.env import prepare_kivy_env
    prepare_kivy_env(os.path.join(data, "kivy"))
    from kiosk.fonts import FontMissing, register_cjk_font
    from kivy.config import Config
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if args.fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if args.fullscreen else "1")
    try:
        register_cjk_font()
    except FontMissing as exc:
        print(f"python -m signage: {exc}", file=sys.stderr)
        return 2
    from content.sync import SyncClient
    from signage.app import SignageApp
    app = None
    sync = SyncClient(args.server, data, kind="signage", screen=size,
                      on_manifest=lambda m: app and app.on_sync_manifest(m),
                      on_status=lambda s: app and app.on_sync_status(s),
                      on_command=lambda n, d: app and app.on_sync_command(n, d))
    app = SignageApp(sync, server_url=args.server, data_dir=data)
    sync.start()
    try:
        app.run()
    finally:
        sync.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
