"""python -m kiosk: command line of the kiosk app (the Kivy app itself arrives with its own issue)."""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kiosk", description="Gongkai lobby touch kiosk: browse, search and read disclosed items; feedback by QR.")
    parser.add_argument("--server", required=True, metavar="URL", help="content server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--data", default=None, metavar="DIR", help="cache folder (manifest + media)")
    parser.add_argument("--fullscreen", action="store_true", help="run full screen")
    return parser


def main(argv=None) -> int:
    build_parser().parse_args(argv)
    print("python -m kiosk: the screen app is not built yet (see the kiosk issue)", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
