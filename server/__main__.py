"""python -m server: init, create-user, run, demo, verify-audit, backup (DESIGN.md §6)."""
from __future__ import annotations

import argparse
import sys

from server import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server",
                                     description="Gongkai content server (院务公开 / 党务公开).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--instance", default="instance", metavar="DIR",
                       help="instance folder (database, media, keys); default ./instance")
        return p

    p = command("init", "create or upgrade the database and the first unit")
    p.add_argument("--unit-name", help="name of the first unit, e.g. 第一人民医院")
    p.add_argument("--unit-code", help="short code of the first unit (default H001)")

    p = command("create-user", "create a staff account; the password is read from stdin")
    p.add_argument("name")
    p.add_argument("--roles", required=True, help="comma-separated: contributor,reviewer,...")
    p.add_argument("--unit", help="unit code (default: the first unit)")
    p.add_argument("--display-name", default="")

    for name, help_text in [("run", "run the server"),
                            ("demo", "run the server, seeding demo content if the instance is empty")]:
        p = command(name, help_text)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8080)
        if name == "run":
            p.add_argument("--workers", type=int, default=1, help="server processes (gevent workers)")
        if name == "demo":
            p.add_argument("--no-screens", action="store_true",
                           help="do not start the kiosk and signage windows")

    command("verify-audit", "check the audit log's hash chain; exit 1 if broken")
    p = command("backup", "write a consistent copy of the database and media into DIR")
    p.add_argument("dest", metavar="DIR")
    p.add_argument("--keep", type=int, default=0, help="keep only the newest N backups in DIR (0: keep all)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    handler = getattr(commands, args.command.replace("-", "_"))
    try:
        return handler(args) or 0
    except commands.CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
