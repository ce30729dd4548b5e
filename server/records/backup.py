"""Backup and restore of one instance: a consistent online copy (SQLite backup API or pg_dump) with
the media and the instance's keys — folders 0700 and files 0600 whatever the umask, since it holds
personal data and the keys — and its restore into an instance folder that never writes outside
that folder and refuses to overwrite data unless forced."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
from contextlib import closing
from datetime import datetime, timezone

from sqlalchemy import create_engine, inspect, text

FORMAT = 1
MANIFEST = "backup.json"
SQLITE_FILE = "gongkai.db"
PG_FILE = "gongkai.sql"
KEY_FILES = ("secret_key", "feed_key.pem", "feed_key.pub")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
FOLDER_MODE, FILE_MODE = 0o700, 0o600


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _pg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _run(cmd: list[str], stdout=subprocess.DEVNULL) -> None:
    try:
        result = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise BackupError(f"{cmd[0]} is not installed (the PostgreSQL client tools are needed)") from None
    if result.returncode != 0:
        err = (result.stderr or b"").decode("utf-8", "replace").strip()
        raise BackupError(f"{cmd[0]} failed: {err[-800:]}")


# --- backup -------------------------------------------------------------------------------------

def write_backup(app, dest_root: str, keep: int = 0) -> tuple[str, list[str]]:
    """A new folder gongkai-<stamp> in dest_root, written under a temporary name and renamed when
    complete (so --keep never counts a half-written copy); returns it and the folders removed."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    if not os.path.isdir(dest_root):
        _mkdir(dest_root, parents=True)
    final = os.path.join(dest_root, f"gongkai-{stamp}")
    work = os.path.join(dest_root, f".gongkai-{stamp}.partial")
    _mkdir(work)
    try:
        info = _copy_database(app.config["DATABASE_URL"], work)
        media = _copy_media(app.config["MEDIA_DIR"], os.path.join(work, "media"))
        keys = _copy_keys(app.instance_path, work)
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(),
                    "database": info, "media": media, "keys": keys}
        with os.fdopen(_private(os.path.join(work, MANIFEST)), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1)
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    removed = []
    if keep > 0:
        removed = sorted(d for d in os.listdir(dest_root) if re.fullmatch(r"gongkai-[0-9-]+", d))[:-keep]
        for name in removed:
            shutil.rmtree(os.path.join(dest_root, name))
    return final, removed


def _mkdir(path: str, parents: bool = False) -> None:
    """A folder only its owner can enter (the mode set explicitly: the umask only takes bits away)."""
    if parents:
        os.makedirs(path, FOLDER_MODE, exist_ok=True)
    else:
        os.mkdir(path, FOLDER_MODE)
    os.chmod(path, FOLDER_MODE)


def _private(path: str) -> int:
    """A new file only its owner can read, open for writing."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def _copy_database(url: str, work: str) -> dict:
    if url.startswith("sqlite:///"):
        target = os.path.join(work, SQLITE_FILE)
        os.close(_private(target))   # SQLite keeps the mode of a file that exists (and gives it to its journal)
        with closing(sqlite3.connect(url[len("sqlite:///"):])) as src, closing(sqlite3.connect(target)) as out:
            src.backup(out)
        os.chmod(target, FILE_MODE)
        return {"kind": "sqlite", "file": SQLITE_FILE, "sha256": file_sha256(target)}
    target = os.path.join(work, PG_FILE)
    with os.fdopen(_private(target), "wb") as fh:
        _run(["pg_dump", "--no-owner", "--no-privileges", _pg_url(url)], stdout=fh)
    return {"kind": "postgresql", "file": PG_FILE, "sha256": file_sha256(target)}


def _copy_media(media_dir: str, target: str) -> int:
    """Media files are named by their SHA-256; only such regular files are copied."""
    _mkdir(target)
    count = 0
    if os.path.isdir(media_dir):
        for name in os.listdir(media_dir):
            src = os.path.join(media_dir, name)
            if SHA256.match(name) and stat.S_ISREG(os.lstat(src).st_mode):
                with open(src, "rb") as fh, os.fdopen(_private(os.path.join(target, name)), "wb") as out:
                    shutil.copyfileobj(fh, out, CHUNK)
                count += 1
    return count


def _copy_keys(instance_path: str, work: str) -> list[str]:
    """The session secret and the feed-signing key pair: without them screens reject the feed."""
    copied = []
    for name in KEY_FILES:
        src = os.path.join(instance_path, name)
        if os.path.isfile(src) and not os.path.islink(src):
            with os.fdopen(_private(os.path.join(work, name)), "wb") as out, open(src, "rb") as fh:
                shutil.copyfileobj(fh, out)
            copied.append(name)
    return copied


# --- restore ------------------------------------------------------------------------------------

def read_backup(folder: str) -> dict:
    """The backup's manifest, after checking the database file is there and unchanged."""
    if not os.path.isdir(folder):
        raise BackupError(f"{folder} is not a backup folder")
    path = os.path.join(folder, MANIFEST)
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as fh:
                manifest = json.load(fh)
        except ValueError:
            raise BackupError(f"{MANIFEST} in {folder} is not valid JSON") from None
    else:  # written by an earlier version: no manifest, just the files
        kind = "sqlite" if os.path.exists(os.path.join(folder, SQLITE_FILE)) else "postgresql"
        manifest = {"format": 0, "database": {"kind": kind, "file": SQLITE_FILE if kind == "sqlite" else PG_FILE},
                    "keys": []}
    db = manifest.get("database") or {}
    if db.get("file") not in (SQLITE_FILE, PG_FILE):
        raise BackupError(f"{folder}: the manifest names no database file")
    db_path = os.path.join(folder, db["file"])
    if not os.path.isfile(db_path) or os.path.islink(db_path):
        raise BackupError(f"{folder} holds no {db['file']}: not a Gongkai backup")
    if db.get("sha256") and file_sha256(db_path) != db["sha256"]:
        raise BackupError(f"{db['file']} does not match the SHA-256 in {MANIFEST}: the backup is damaged")
    return manifest


def has_data(url: str) -> bool:
    """True when the database already holds a unit (an initialised, used instance)."""
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("unit"):
                return False
            return conn.execute(text("select count(*) from unit")).scalar() > 0
    finally:
        engine.dispose()


def restore_backup(folder: str, instance_path: str, url: str, media_dir: str, force: bool = False) -> dict:
    """Put the backup's database, media and keys into the instance; returns what was restored."""
    manifest = read_backup(folder)
    kind = manifest["database"]["kind"]
    if (kind == "sqlite") != url.startswith("sqlite:///"):
        raise BackupError(f"the backup holds a {kind} database but the instance is configured for "
                          f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}")
    if has_data(url) and not force:
        raise BackupError("the instance already holds data; restore with --force to replace it")
    os.makedirs(instance_path, exist_ok=True)
    if kind == "sqlite":
        _restore_sqlite(os.path.join(folder, SQLITE_FILE), url[len("sqlite:///"):])
    else:
        _restore_postgres(os.path.join(folder, PG_FILE), url)
    media, skipped = _restore_media(os.path.join(folder, "media"), media_dir)
    keys = _restore_keys(folder, instance_path, manifest.get("keys") or [])
    return {"kind": kind, "media": media, "skipped": skipped, "keys": keys}


def _restore_sqlite(src: str, target: str) -> None:
    """Copy under a temporary name, then rename over the old file; stale WAL files go first."""
    tmp = target + ".restoring"
    try:
        with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as conn:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        ok = False
    if not ok:
        raise BackupError("the backup's SQLite file fails its integrity check")
    shutil.copyfile(src, tmp)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(target + suffix):
            os.remove(target + suffix)
    os.replace(tmp, target)


def _restore_postgres(dump: str, url: str) -> None:
    """Empty the configured database's public schema, then replay the plain-SQL dump with psql."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    _run(["psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-f", dump, _pg_url(url)])


def _restore_media(src_dir: str, media_dir: str) -> tuple[int, list[str]]:
    """Copy files whose name is a SHA-256 and whose content matches it; anything else is skipped."""
    os.makedirs(media_dir, exist_ok=True)
    restored, skipped = 0, []
    if not os.path.isdir(src_dir):
        return 0, skipped
    for name in sorted(os.listdir(src_dir)):
        src = os.path.join(src_dir, name)
        if not SHA256.match(name) or not stat.S_ISREG(os.lstat(src).st_mode):
            skipped.append(f"{name}: not a media file")
            continue
        if file_sha256(src) != name:
            skipped.append(f"{name}: content does not match its name")
            continue
        target = os.path.join(media_dir, name)
        if os.path.lexists(target):
            if os.path.islink(target):
                os.remove(target)
            elif file_sha256(target) == name:
                restored += 1
                continue
        tmp = f"{target}.restoring"
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        restored += 1
    return restored, skipped


def _restore_keys(folder: str, instance_path: str, names: list[str]) -> list[str]:
    restored = []
    for name in names:
        src = os.path.join(folder, name)
        if name not in KEY_FILES or not os.path.isfile(src) or os.path.islink(src):
            continue
        target = os.path.join(instance_path, name)
        if os.path.lexists(target):
            os.remove(target)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
            shutil.copyfileobj(fh, out)
        restored.append(name)
    return restored
