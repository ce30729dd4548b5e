"""python -m signage --server URL [--data DIR] [--fullscreen]: the signage slide player (Kivy).

Which file does what:
    __main__.py       command line (screen.cli, the same shape as python -m kiosk)
    app.py            SignageApp: pairing → player, manifest in use, overlays, remote commands
    signage.kv        the root layout (ScreenManager)
    player.py/.kv     the rotation: current slide, the next one prepared beneath it, header, ticker
    slides.py/.kv     slide widgets (notice, image, document page, table page, statistics) + QR
    ticker.py/.kv     the 滚动字幕 line
    overlays.py/.kv   emergency alert, night screen (identify is the shared one in screen/widgets.kv)
    textfit.py        text auto-fitted to its box
    display.py        optional display off/on commands for the night screen
    images.py         image decoding off the main thread
    context.py        media files and PDF pages for slides
    proof.py          proof-of-play records into the outbox
The schedule itself (windows, dayparts, opening hours) is content.playlist. Sync, cache, pairing,
fonts, QR codes, the Kivy environment, remote commands and screenshot upload are the shared screen/
package, which the kiosk uses too; signage never imports the kiosk.
"""
from __future__ import annotations

import os
import sys

from screen.cli import build_parser as screen_parser, parse_size

__all__ = ["build_parser", "main"]


def build_parser():
    return screen_parser("python -m signage", "Gongkai signage player: rotating slides of disclosed items, "
                         "ticker, emergency alerts.", default_data="~/.local/share/gongkai-signage")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    data = os.path.abspath(args.data or os.path.expanduser("~/.local/share/gongkai-signage"))
    size = parse_size(args.size)
    from screen.launch import prepare_window, run_with_sync
    if not prepare_window("python -m signage", data, size, args.fullscreen):
        return 2

    def make_app(sync):
        from signage.app import SignageApp
        return SignageApp(sync, server_url=args.server, data_dir=data)
    return run_with_sync(make_app, args.server, data, "signage", size)


if __name__ == "__main__":
    sys.exit(main())
