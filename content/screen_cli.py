"""The command line both screen apps share: python -m kiosk|signage --server URL [--data DIR] [--fullscreen]."""
from __future__ import annotations

import argparse


def build_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--server", required=True, metavar="URL", help="content server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--data", default=None, metavar="DIR", help="cache folder (manifest + media)")
    parser.add_argument("--fullscreen", action="store_true", help="run full screen")
    return parser
