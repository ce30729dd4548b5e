"""The command line both screen apps share:
python -m kiosk|signage --server URL [--data DIR] [--fullscreen] [--size WxH]."""
from __future__ import annotations

import argparse


def build_parser(prog: str, description: str, default_size: str = "1920x1080",
                 default_data: str = "") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--server", required=True, metavar="URL", help="content server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="cache folder (device.json, manifest, media)"
                        + (f"; default {default_data}" if default_data else ""))
    parser.add_argument("--fullscreen", action="store_true", help="run full screen (cursor hidden)")
    parser.add_argument("--size", default=default_size, metavar="WxH",
                        help=f"the screen's resolution: the window size when not full screen, and what the "
                        f"server pre-scales images for (default {default_size})")
    return parser


def parse_size(value: str) -> tuple[int, int]:
    """"1080x1920" → (1080, 1920); SystemExit with a readable message otherwise."""
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--size: expected WxH such as 1080x1920, not {value!r}") from None
    if not (100 <= w <= 8000 and 100 <= h <= 8000):
        raise SystemExit(f"--size: {value} is out of range")
    return w, h
