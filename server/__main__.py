"""python -m server: init, create-user, run, demo, verify-audit, backup, restore, archive, verify-archive,
purge-personal-data, monthly-report, ingest, digest (parser and commands in server/cli/)."""
from __future__ import annotations

import sys

from server.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
