"""python -m kiosk: command line of the kiosk app (the Kivy app itself arrives with its own issue)."""
from __future__ import annotations

import sys

from content.screen_cli import build_parser


def main(argv=None) -> int:
    build_parser("python -m kiosk", "Gongkai lobby touch kiosk: browse, search and read disclosed items; feedback by QR.").parse_args(argv)
    print("python -m kiosk: the screen app is not built yet (see the kiosk issue)", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
