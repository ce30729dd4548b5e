"""python -m signage: command line of the signage app (the Kivy app itself arrives with its own issue)."""
from __future__ import annotations

import sys

from content.screen_cli import build_parser


def main(argv=None) -> int:
    build_parser("python -m signage", "Gongkai signage player: rotating slides of disclosed items, ticker, emergency alerts.").parse_args(argv)
    print("python -m signage: the screen app is not built yet (see the signage issue)", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
