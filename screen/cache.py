"""Device cache on disk, built so that a crash or power cut at any point leaves old content showing.

Layout under the data folder:
    manifest.json        the applied manifest, exactly as received and verified (protocol 2)
    media/<sha256>       every content-addressed file: item pages, table and body blobs, media —
                         each checked against its name (and stated size) before it gets the name
    media/.part-*        downloads in progress; removed on failure, swept at start
    .tmp-*               temp files of atomic writes (manifest.json, device.json, outbox.json)

Why it is safe: a file is written to a temp name, fsynced and renamed into place; the media
folder is fsynced before manifest.json is replaced (temp + fsync + os.replace + fsync of the
folder); garbage collection runs only after that replace, and only on files the applied manifest
does not reference. So at every instant manifest.json is either the old one with everything it
references still there or the new one with everything it references there. One process owns a
data folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from typing import Callable, Iterable

from content.manifest import is_sha256

__all__ = ["ContentCache", "MediaError", "atomic_write", "read_json", "sweep_temp_files", "write_json"]

TEMP_PREFIX = ".tmp-"
PART_PREFIX = ".part-"


class MediaError(Exception):
    """A downloaded media file does not match its name or its stated size."""


def _fsync_dir(path: str) -> None:
    """Make a rename in `path` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _open_temp(folder: str, prefix: str, mode: int) -> tuple[str, int]:
    """Create a fresh temp file (never world-readable if mode says so) and return (path, fd)."""
    path = os.path.join(folder, prefix + secrets.token_hex(6))
    return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write(path: str, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` all at once: temp file + fsync + os.replace + fsync of the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp, fd = _open_temp(folder, f"{TEMP_PREFIX}{os.path.basename(path)}-", mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(folder)


def write_json(path: str, obj, mode: int = 0o644) -> None:
    """atomic_write of UTF-8 JSON (Chinese kept readable)."""
    atomic_write(path, json.dumps(obj, ensure_ascii=False, indent=1).encode("utf-8"), mode)


def read_json(path: str, default=None):
    """The JSON in `path`, or `default` if the file is absent or not valid JSON."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError):
        return default


def sweep_temp_files(folder: str, prefixes=(TEMP_PREFIX, PART_PREFIX)) -> int:
    """Remove leftovers of interrupted writes in `folder`; returns how many were removed."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        if name.startswith(prefixes):
            _unlink_quietly(os.path.join(folder, name))
            removed += 1
    return removed


class ContentCache:
    """manifest.json + media/<sha256> under `root`; see the module docstring for the guarantees."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.media_dir = os.path.join(self.root, "media")
        self.manifest_path = os.path.join(self.root, "manifest.json")
        os.makedirs(self.media_dir, exist_ok=True)

    def read_manifest(self) -> dict | None:
        """The stored manifest as a dict, unverified; None if absent or unreadable."""
        manifest = read_json(self.manifest_path)
        return manifest if isinstance(manifest, dict) else None

    def media_path(self, sha: str) -> str:
        """Where the file named `sha` lives; refuses anything but a sha256 (no path tricks)."""
        if not is_sha256(sha):
            raise ValueError(f"not a sha256 file name: {sha!r}")
        return os.path.join(self.media_dir, sha)

    def has_media(self, sha: str, size: int | None = None) -> bool:
        """Present (and of the stated size); the hash was checked when it was stored."""
        try:
            st = os.stat(self.media_path(sha))
        except OSError:
            return False
        return size is None or st.st_size == size

    def missing(self, refs: dict[str, int | None]) -> dict[str, int | None]:
        """The referenced files (sha256 → stated size) not (correctly) in the cache."""
        return {sha: size for sha, size in refs.items() if not self.has_media(sha, size)}

    def read_verified(self, sha: str) -> bytes | None:
        """The file's bytes if they still hash to its name; a damaged file is removed (so it is
        fetched again) and None returned, as for an absent one."""
        try:
            with open(self.media_path(sha), "rb") as f:
                data = f.read()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != sha:
            _unlink_quietly(self.media_path(sha))
            return None
        return data

    def verify_media(self, sha: str) -> bool:
        """Full re-hash of a stored file (for checks and tests; storing already verified it)."""
        digest = hashlib.sha256()
        try:
            with open(self.media_path(sha), "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            return False
        return digest.hexdigest() == sha

    def store_media(self, sha: str, chunks: Iterable[bytes], size: int | None = None,
                    cancelled: Callable[[], bool] = lambda: False) -> None:
        """Stream `chunks` into media/<sha>, only if the bytes hash to `sha` (and match `size`).

        The file appears under its name only when complete, verified and fsynced; on any error
        (MediaError, OSError such as ENOSPC, network errors raised by `chunks`) the temp file is
        removed and the error propagates.
        """
        target = self.media_path(sha)
        tmp, fd = _open_temp(self.media_dir, f"{PART_PREFIX}{sha[:16]}-", 0o644)
        try:
            digest, written = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    if cancelled():
                        raise MediaError(f"media {sha[:12]}: download cancelled")
                    written += len(chunk)
                    if size is not None and written > size:
                        raise MediaError(f"media {sha[:12]}: more than the stated {size} bytes")
                    digest.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if size is not None and written != size:
                raise MediaError(f"media {sha[:12]}: got {written} of {size} bytes (truncated)")
            if digest.hexdigest() != sha:
                raise MediaError(f"media {sha[:12]}: content does not match its sha256")
            os.replace(tmp, target)
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def commit(self, manifest: dict, refs: dict[str, int | None]) -> None:
        """Switch to `manifest`, whose files `refs` must all be stored: one atomic rename."""
        missing = self.missing(refs)
        if missing:
            raise MediaError(f"{len(missing)} file(s) missing, not switching")
        _fsync_dir(self.media_dir)
        write_json(self.manifest_path, manifest)

    def collect_garbage(self, keep, grace_seconds: float = 0.0, released=()) -> list[str]:
        """After a switch: files no longer referenced (not in `keep`) are removed once unreferenced
        for `grace_seconds` — `released` (just dropped by the switch) start their grace now, others
        count from when they were stored — and leftover temp files of manifest.json go at once."""
        now = time.time()
        for name in released:
            if name not in keep and is_sha256(name):
                try:
                    os.utime(os.path.join(self.media_dir, name), (now, now))
                except OSError:
                    pass
        removed = []
        for name in os.listdir(self.media_dir):
            if name in keep:
                continue
            path = os.path.join(self.media_dir, name)
            try:
                old = now - os.stat(path).st_mtime >= grace_seconds
            except OSError:
                continue
            if old or not is_sha256(name):
                _unlink_quietly(path)
                removed.append(name)
        for name in os.listdir(self.root):
            if name.startswith(f"{TEMP_PREFIX}manifest.json"):
                _unlink_quietly(os.path.join(self.root, name))
                removed.append(name)
        return removed
