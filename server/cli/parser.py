"""The server's command line: one argparse parser (the README's command list is generated from it)
and main(), which dispatches to the bodies in commands.py."""
from __future__ import annotations

import argparse
import sys

from server.cli import commands
from server.config import UnknownSetting

__all__ = ["build_parser", "main"]


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
    p.add_argument("--unit-name", metavar="NAME", help="name of the first unit, e.g. 第一人民医院")
    p.add_argument("--unit-code", metavar="CODE", help="short code of the first unit (default H001)")

    p = command("create-user", "create a staff account; the password is read from stdin")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--roles", required=True, metavar="r1,r2", help="comma-separated: contributor,reviewer,...")
    p.add_argument("--unit", metavar="CODE", help="unit code (default: the first unit)")
    p.add_argument("--display-name", default="", metavar="NAME")

    p = command("set-password", "set a staff account's password (read from stdin); its sessions and tokens end")
    p.add_argument("name", metavar="NAME")

    for name, help_text in [("run", "run the server"),
                            ("demo", "run the server, seeding demo content if the instance is empty")]:
        p = command(name, help_text)
        p.add_argument("--host", default="0.0.0.0" if name == "demo" else "127.0.0.1", metavar="H",
                       help="address to listen on (default: every interface for demo, so phones can open "
                       "the QR codes; loopback for run, behind nginx)")
        p.add_argument("--port", type=int, default=8080, metavar="P")
        if name == "run":
            p.add_argument("--workers", type=int, default=1, metavar="N", help="server processes (gevent workers)")
        if name == "demo":
            p.add_argument("--no-screens", action="store_true",
                           help="do not start the kiosk and signage windows")

    command("verify-audit", "check the audit log's hash chain; exit 1 if broken")
    p = command("backup", "write a consistent copy of the database and media into DIR")
    p.add_argument("dest", metavar="DIR")
    p.add_argument("--keep", type=int, default=0, metavar="N", help="keep only the newest N backups in DIR (0: keep all)")
    p = command("restore", "restore a backup folder into the instance (refuses an instance with data, "
                "and one a running server uses)")
    p.add_argument("backup", metavar="BACKUP_DIR", help="one gongkai-<time> folder written by backup")
    p.add_argument("--force", action="store_true", help="replace the data the instance already holds")
    p = command("archive", "归档: write a period's revisions, decisions, feedback, requests and audit log as a zip")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help="first local day")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help="last local day (included)")
    p.add_argument("--out", required=True, metavar="FILE.zip")
    p.add_argument("--unit", metavar="CODE", help="only this unit (default: every unit)")
    p.add_argument("--include-drafts", action="store_true", help="also revisions never submitted (left out by default)")
    text = "check an archive's files and audit chain; exit 0 intact, 1 damaged (problems listed), 2 not a zip"
    p = sub.add_parser("verify-archive", help=text, description=text)
    p.add_argument("file", metavar="FILE.zip")
    p.add_argument("--extract", metavar="DIR", help="leave the safely extracted files in DIR")
    p = command("purge-personal-data", "erase name, phone and photo of cases closed more than "
                "FEEDBACK_PERSONAL_DATA_MONTHS ago")
    p.add_argument("--dry-run", action="store_true", help="only list what would be erased")
    p.add_argument("--months", type=int, metavar="N", help="override FEEDBACK_PERSONAL_DATA_MONTHS for this run")
    p = command("ingest", "take the files in the drop folder (inbox) as draft revisions")
    p.add_argument("--once", action="store_true", help="process what is there now, then exit "
                   "(exit 1 if a file was rejected); without it, keep watching")
    p = command("monthly-report", "write one unit's 公开监督 monthly report as a PDF")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="the month, e.g. 2026-11")
    p.add_argument("--unit", metavar="CODE", help="unit code (default: the first unit)")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    command("digest", "write today's overdue digest (每日超期汇总) now and e-mail it; exit 1 if the e-mail failed")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    handler = getattr(commands, args.command.replace("-", "_"))
    try:
        return handler(args) or 0
    except (commands.CommandError, UnknownSetting) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

