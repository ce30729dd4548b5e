"""The feed's content-addressed files (protocol version 2): item pages, tables and long bodies,
in MEDIA_DIR/feed/<sha256>, each with a gzip copy <sha256>.gz beside it.

Why files: screens fetch them like media (`GET /media/<sha256>`), nginx sends them from disk
(`X-Accel-Redirect`, `gzip_static`), and they survive a restart. Why a folder of their own: they
are derived from the database (a feed build writes any that are missing), so backups skip them and
the sweep may remove old ones no current feed references.
"""
from __future__ import annotations

import gzip
import os
import secrets
import time

from flask import current_app

FOLDER = "feed"
KEEP_SECONDS = 7 * 86400        # an unreferenced feed file is removed once it is this old
SWEEP_SECONDS = 6 * 3600        # how often each process looks
GZIP_LEVEL = 6


def folder(media_dir: str | None = None) -> str:
    return os.path.join(media_dir or current_app.config["MEDIA_DIR"], FOLDER)


def path(sha: str, media_dir: str | None = None) -> str:
    return os.path.join(folder(media_dir), sha)


def exists(sha: str) -> bool:
    return os.path.exists(path(sha)) and os.path.exists(path(sha) + ".gz")


def _write(target: str, data: bytes) -> None:
    """Temp file, fsync, rename: a half-written file never carries the name (a crash leaves only
    a .tmp-* the sweep removes)."""
    tmp = os.path.join(os.path.dirname(target), f".tmp-{secrets.token_hex(6)}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def store(sha: str, data: bytes) -> None:
    """Write the blob and its gzip copy once (the gzip copy first, so a present blob always has
    one); concurrent writers of the same content are harmless."""
    target = path(sha)
    if os.path.exists(target) and os.path.exists(target + ".gz"):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    _write(target + ".gz", gzip.compress(data, GZIP_LEVEL, mtime=0))
    _write(target, data)


def sweep(media_dir: str, referenced: set[str], now: float | None = None,
          keep_seconds: float = KEEP_SECONDS) -> list[str]:
    """Remove feed files no current feed references once they are `keep_seconds` old (temp files
    after an hour); returns the names removed."""
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(folder(media_dir))
    except OSError:
        return removed
    for name in names:
        sha = name[:-3] if name.endswith(".gz") else name
        full = os.path.join(folder(media_dir), name)
        limit = 3600 if name.startswith(".tmp-") else keep_seconds
        if sha in referenced and not name.startswith(".tmp-"):
            continue
        try:
            if now - os.stat(full).st_mtime >= limit:
                os.unlink(full)
                removed.append(name)
        except OSError:
            continue
    return removed
