"""The drop folder itself (收件箱): which files are there, when one is complete, claiming it by an
atomic rename so several server processes never take the same file twice, moving it to
`processed/` or `rejected/` with a reason file, and the watchdog watches that wake the worker.
What a file becomes is server.ingest.process's job."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

RESERVED = {"processed", "rejected", ".work"}
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", "~", ".crdownload", ".filepart", ".swp")

@dataclass
class Drop:
    """One file in the inbox: where it lies, and the unit code and category slug it names."""

    path: str
    rel_dir: str
    unit_code: str | None
    slug: str | None


def inbox_root(app) -> str:
    return app.config.get("INGEST_DIR") or os.path.join(app.instance_path, "inbox")


def is_partial(name: str) -> bool:
    """Names a writer is still busy with: dot-files, Office lock files and temp suffixes."""
    low = name.lower()
    return name.startswith((".", "~$")) or low.endswith(PARTIAL_SUFFIXES)


def _files(folder: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)
                      and not is_partial(e.name))
    except OSError:
        return []


def find_drops(root: str, unit_codes: set[str]) -> list[Drop]:
    """Every complete-named file: `<unit>/<slug>/f`, `<slug>/f` (first unit) or misplaced ones."""
    drops = [Drop(os.path.join(root, n), "", None, None) for n in _files(root)]
    for top in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        top_path = os.path.join(root, top)
        if top in RESERVED or top.startswith(".") or not os.path.isdir(top_path):
            continue
        if top in unit_codes:
            drops += [Drop(os.path.join(top_path, n), top, top, None) for n in _files(top_path)]
            for slug in sorted(os.listdir(top_path)):
                sub = os.path.join(top_path, slug)
                if os.path.isdir(sub) and not slug.startswith("."):
                    drops += [Drop(os.path.join(sub, n), f"{top}/{slug}", top, slug) for n in _files(sub)]
        else:
            drops += [Drop(os.path.join(top_path, n), top, None, top) for n in _files(top_path)]
    return drops


class Settler:
    """Remembers each file's (size, mtime) and since when it has not changed."""

    def __init__(self):
        self.seen: dict[str, tuple[int, int, float]] = {}

    def stable(self, drops: list[Drop], settle: float, now: float) -> tuple[list[Drop], int]:
        """The drops unchanged for `settle` seconds, and how many are still settling."""
        ready, waiting, current = [], 0, {}
        for drop in drops:
            try:
                st = os.stat(drop.path)
            except OSError:
                continue
            old = self.seen.get(drop.path)
            since = old[2] if old and old[:2] == (st.st_size, st.st_mtime_ns) else now
            current[drop.path] = (st.st_size, st.st_mtime_ns, since)
            if now - since >= settle:
                ready.append(drop)
            else:
                waiting += 1
        self.seen = current
        return ready, waiting


def _unique(path: str) -> str:
    base, ext = os.path.splitext(path)
    n = 1
    while os.path.exists(path) or os.path.exists(path + ".reason.txt"):
        path = f"{base}-{n}{ext}"
        n += 1
    return path


def claim(root: str, drop: Drop) -> str | None:
    """Move the file into this process's `.work` folder; None if someone else took it first."""
    work = os.path.join(root, ".work", str(os.getpid()), drop.rel_dir)
    os.makedirs(work, exist_ok=True)
    target = _unique(os.path.join(work, os.path.basename(drop.path)))
    try:
        os.rename(drop.path, target)
    except FileNotFoundError:
        return None
    return target


def recover_claims(root: str) -> int:
    """Put back files left in `.work` by a process that died mid-way; they are processed again."""
    moved = 0
    work = os.path.join(root, ".work")
    for pid in os.listdir(work) if os.path.isdir(work) else []:
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        base = os.path.join(work, pid)
        for folder, _dirs, names in os.walk(base):
            rel = os.path.relpath(folder, base)
            for name in names:
                dest_dir = os.path.normpath(os.path.join(root, rel))
                os.makedirs(dest_dir, exist_ok=True)
                os.rename(os.path.join(folder, name), _unique(os.path.join(dest_dir, name)))
                moved += 1
        for folder, _dirs, _names in os.walk(base, topdown=False):
            if not os.listdir(folder):
                os.rmdir(folder)
    return moved


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def local_day(offset_hours: int) -> str:
    return datetime.now(timezone(timedelta(hours=offset_hours))).date().isoformat()


def destination(root: str, drop: Drop, outcome: str, offset_hours: int) -> str:
    """Where the file goes: processed/ or rejected/, today's date, its folder, a free name."""
    day = local_day(offset_hours)
    folder = "rejected" if outcome == "rejected" else "processed"
    dest_dir = os.path.join(root, folder, day, drop.rel_dir)
    os.makedirs(dest_dir, exist_ok=True)
    return _unique(os.path.join(dest_dir, os.path.basename(drop.path)))


def finish(claimed: str, dest: str, reason: str) -> None:
    """Move the claimed file to its destination and write the reason file beside it."""
    os.rename(claimed, dest)
    folder, name = os.path.split(dest)
    tmp = os.path.join(folder, f".{name}.reason.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(reason.rstrip() + "\n")
    os.replace(tmp, dest + ".reason.txt")  # whole or not at all, for whoever reads it


def inbox_folders(root: str, unit_codes: set[str]) -> set[str]:
    """The folders files are dropped into: the root, category and unit folders, and the category
    folders inside units (never processed/ or rejected/, which grow every day)."""
    folders = {root}
    for top in os.listdir(root) if os.path.isdir(root) else []:
        path = os.path.join(root, top)
        if top in RESERVED or top.startswith(".") or not os.path.isdir(path):
            continue
        folders.add(path)
        if top in unit_codes:
            folders |= {os.path.join(path, d) for d in os.listdir(path)
                        if not d.startswith(".") and os.path.isdir(os.path.join(path, d))}
    return folders


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

    def sync(self, folders: set[str]) -> None:
        for gone in set(self.watches) - folders:
            try:
                self.observer.unschedule(self.watches.pop(gone))
            except Exception:  # noqa: BLE001  (the folder is gone; its watch went with it)
                pass
        for folder in sorted(folders - set(self.watches)):
            try:
                self.watches[folder] = self.observer.schedule(self.handler, folder, recursive=False)
            except OSError:
                self.logger.exception("cannot watch %s; the periodic rescan still covers it", folder)

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(5)
