"""The drop folder itself (收件箱): what lies in it, where each entry belongs, when a file is
complete, and the watchdog watches that wake the worker. Every entry is listed — files, links,
anything else, at any depth — so every one of them can be given a reason file; what a file becomes
is server.ingest.process's job."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from server.ingest.safefs import Inbox, UnsafePath

PROCESSED, REJECTED = "processed", "rejected"
RESERVED = {PROCESSED, REJECTED, ".work"}
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", "~", ".crdownload", ".filepart", ".swp")
MAX_DEPTH = 8


@dataclass(frozen=True)
class Entry:
    """One thing in the inbox: its folder (as parts), its name, what it is (`file`, `link`,
    `other`) and its lstat."""

    parts: tuple[str, ...]
    name: str
    kind: str
    st: os.stat_result = field(compare=False)

    @property
    def key(self) -> tuple[str, ...]:
        return self.parts + (self.name,)

    @property
    def rel(self) -> str:
        return "/".join(self.key)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """What changes when someone writes to it (or replaces it)."""
        return (self.st.st_ino, self.st.st_size, self.st.st_mtime_ns, self.st.st_ctime_ns)


@dataclass
class Listing:
    entries: list[Entry]
    unreadable: list[tuple[tuple[str, ...], str]]   # folders that could not be listed, and why
    folders: list[tuple[str, ...]]                  # every folder walked, the root first


def inbox_root(app) -> str:
    return app.config.get("INGEST_DIR") or os.path.join(app.instance_path, "inbox")


def is_partial(name: str) -> bool:
    """Names a writer is still busy with: dot-files, Office lock files and temp suffixes."""
    low = name.lower()
    return name.startswith((".", "~$")) or low.endswith(PARTIAL_SUFFIXES)


def display_name(name: str) -> str:
    """A file name for people and the database: bytes that are not UTF-8 (a Windows share without
    a charset setting writes GBK names) are read as GB18030, else replaced."""
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "replace")


def _kind(st: os.stat_result) -> str:
    if stat.S_ISLNK(st.st_mode):
        return "link"
    if stat.S_ISREG(st.st_mode):
        return "file"
    return "other"


def list_inbox(inbox: Inbox) -> Listing:
    """Every entry below the inbox except the server's own folders and hidden folders; folder
    links are entries (never entered); folders that cannot be read are named."""
    entries: list[Entry] = []
    unreadable: list[tuple[tuple[str, ...], str]] = []
    walked: list[tuple[str, ...]] = []

    def walk(parts: tuple[str, ...]) -> None:
        walked.append(parts)
        try:
            found = inbox.entries(parts)
        except UnsafePath:
            return   # replaced by a link since it was listed: the next scan sees the link
        except OSError as exc:
            unreadable.append((parts, os.strerror(exc.errno) if exc.errno else str(exc)))
            return
        for name, st in found:
            if stat.S_ISDIR(st.st_mode):
                if name.startswith(".") or (not parts and name in RESERVED) or len(parts) >= MAX_DEPTH:
                    continue
                walk(parts + (name,))
            else:
                entries.append(Entry(parts, name, _kind(st), st))
    walk(())
    return Listing(entries, unreadable, walked)


def folders(listing: Listing, root: str) -> set[str]:
    """The folders to watch: every folder walked (never processed/ and rejected/, which grow every
    day, nor a link)."""
    return {os.path.join(root, *parts) for parts in listing.folders}


class Settler:
    """Remembers each entry's shape and since when it has not changed, and the SHA-256 read from a
    file that was stable, so the file is taken only if it is still the same one settle later."""

    def __init__(self):
        self.seen: dict[tuple[str, ...], tuple[tuple, float]] = {}
        self.read: dict[tuple[str, ...], tuple[tuple, str, float]] = {}

    def stable(self, entries: list[Entry], settle: float, now: float) -> tuple[list[Entry], int]:
        """The entries unchanged for `settle` seconds, and how many are still settling."""
        ready, waiting, current = [], 0, {}
        for entry in entries:
            old = self.seen.get(entry.key)
            since = old[1] if old and old[0] == entry.shape else now
            current[entry.key] = (entry.shape, since)
            if now - since >= settle:
                ready.append(entry)
            else:
                waiting += 1
        self.seen = current
        self.read = {k: v for k, v in self.read.items() if k in current and current[k][0] == v[0]}
        return ready, waiting

    def note_read(self, entry: Entry, sha: str, now: float) -> None:
        self.read[entry.key] = (entry.shape, sha, now)

    def read_before(self, entry: Entry) -> tuple[str, float] | None:
        """(the SHA-256 read from this very file, when), if it was read unchanged since."""
        got = self.read.get(entry.key)
        if got and got[0] == entry.shape:
            return got[1], got[2]
        return None

    def forget(self, entry: Entry) -> None:
        self.seen.pop(entry.key, None)
        self.read.pop(entry.key, None)


def local_day(offset_hours: int) -> str:
    return datetime.now(timezone(timedelta(hours=offset_hours))).date().isoformat()


def looks_unfinished(data: bytes) -> bool:
    """What a pre-allocated write looks like before it is done (a Windows share often sets the
    final size first): the file ends in empty bytes — in UTF-16 text, an empty character. Empty
    files count too."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return len(data) % 2 == 0 and data[2:].endswith(b"\x00\x00")
    return not data or data.endswith(b"\x00")


class FolderWatch:
    """watchdog on exactly the inbox folders (non-recursive watches, re-synced on every scan, so
    the inotify watches do not grow with the dated archive folders); any event wakes the worker."""

    def __init__(self, wake, logger):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        class Wake(FileSystemEventHandler):
            def on_any_event(self, event):
                wake()

        self.handler, self.logger = Wake(), logger
        self.observer = Observer()
        self.observer.daemon = True
        self.watches: dict[str, object] = {}

    def sync(self, wanted: set[str]) -> int:
        """Watch exactly `wanted`; returns how many watches are new (a file may have arrived in
        a new folder before its watch did: the caller scans again soon)."""
        added = 0
        for gone in set(self.watches) - wanted:
            try:
                self.observer.unschedule(self.watches.pop(gone))
            except Exception:  # noqa: BLE001  (the folder is gone; its watch went with it)
                pass
        for folder in sorted(wanted - set(self.watches)):
            try:
                self.watches[folder] = self.observer.schedule(self.handler, folder, recursive=False)
                added += 1
            except OSError:
                self.logger.warning("cannot watch %s; the periodic rescan still covers it", folder)
        return added

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(5)
