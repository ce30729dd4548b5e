"""Drop-folder ingest (收件箱): files dropped into `<instance>/inbox/[<unit-code>/]<category-slug>/`
become draft revisions, then move to `processed/<date>/` or `rejected/<date>/` with a reason file.

Every scan gives back the claims of dead processes (server.ingest.claims), lists every entry of the
inbox without following a link (server.ingest.inbox, server.ingest.safefs) and handles each stable
entry on its own — one bad file or folder never stops the others:

- what will never be read (a link, a special file, a hard link, a temporary name left too long, a
  file outside a category folder, an unknown unit or category, an unsupported type, a file too
  large) is claimed and moved to rejected/ with its reason;
- a file to read is read and hashed once its size and mtime have stood still for
  INGEST_SETTLE_SECONDS, and taken only if it is still the same file with the same hash that long
  afterwards: claimed, read again from the claim, compared, turned into a revision
  (server.ingest.drafts). A file that changed meanwhile goes back to the inbox; one still ending
  in empty bytes (a pre-allocated write) waits, up to INGEST_ABANDON_SECONDS;
- a file that cannot be moved (another file system, another owner, a read-only mount) stays
  where it is and gets a reason file under rejected/ once a day.

A watchdog Observer wakes the worker thread at once; a periodic rescan covers missed events.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from server import db
from server.ingest import drafts
from server.ingest.claims import Claims, recover, target_lock
from server.ingest.filing import INGEST_USER, Filing, ingest_user, new_row, place
from server.ingest.inbox import (Entry, FolderWatch, Settler, display_name, folders, inbox_root, is_partial,
                                 list_inbox, looks_unfinished)
from server.ingest.models import IngestedFile
from server.ingest.safefs import Inbox
from server.ingest.targets import Rejected, split_name
from server.models import Category, Unit

__all__ = ["INGEST_USER", "IngestService", "start_ingest"]
CSV_EXT = {".csv", ".txt"}
VISUAL_EXT = {".pdf", ".jpg", ".jpeg", ".png", ".webp", ".gif"}
WAIT = "wait"


class IngestDirError(Exception):
    """INGEST_DIR is a folder the drop folder may not be."""


class IngestService(Filing):
    """The inbox watcher: one worker thread woken by watchdog events or the periodic rescan."""

    def __init__(self, app):
        self.app = app
        self.cfg = app.config
        self.root = inbox_root(app)
        self.settler = Settler()
        self.unfinished: dict[tuple[str, ...], tuple] = {}   # key -> shape last read as unfinished
        self.reported: set[tuple] = set()                    # stuck files and folders told about
        self.claims: Claims | None = None
        self.busy: set[int] = set()                          # categories another process is importing into
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.watch: FolderWatch | None = None

    # --- one scan ---------------------------------------------------------------------------

    def check_root(self) -> None:
        """The inbox must not hold the instance folder (INGEST_DIR set to it or above it): the
        database, keys and settings would be files dropped in the wrong place, and moved."""
        root, instance = os.path.realpath(self.root), os.path.realpath(self.app.instance_path)
        if os.path.commonpath([root, instance]) == root:
            raise IngestDirError(f"INGEST_DIR {self.root} holds the instance folder {self.app.instance_path}: "
                                 "choose a folder of its own (default <instance>/inbox)")

    def scan(self, now: float | None = None) -> tuple[list[IngestedFile], int]:
        """Handle every stable entry now; returns the rows written and how many still wait."""
        now = time.monotonic() if now is None else now
        self.check_root()
        os.makedirs(self.root, exist_ok=True)
        with self.app.app_context(), Inbox(self.root) as inbox:
            try:
                if self.claims is None:
                    self.claims = Claims(inbox)
                self.claims.give_back_own(inbox)   # nothing of ours is in flight between scans
                recover(inbox, own=self.claims.token)
                codes = set(db.session().scalars(select(Unit.code)))
                listing = list_inbox(inbox)
                if self.watch is not None and self.watch.sync(folders(listing, self.root)):
                    self.wake.set()   # a file may have come into a new folder before its watch
                for parts, why in listing.unreadable:
                    self._folder_problem(inbox, parts, why)
                ready, waiting = self.settler.stable(listing.entries, self.cfg["INGEST_SETTLE_SECONDS"], now)
                rows, self.busy = [], set()
                for entry in ready:
                    try:
                        got = self._handle(inbox, entry, codes, now)
                    except DBAPIError:
                        raise   # the database, not the file: stop here, the next round retries
                    except Exception:  # noqa: BLE001  (this file only; the scan goes on)
                        db.session().rollback()
                        self.app.logger.exception("ingest of %s failed", entry.rel)
                        got = None
                    if got == WAIT:
                        waiting += 1
                    elif got is not None:
                        rows.append(got)
                return rows, waiting
            finally:
                db.close_session()

    def _handle(self, inbox: Inbox, entry: Entry, codes: set[str], now: float):
        """One stable entry: a row when it was taken or turned away, WAIT, or None (not ours)."""
        cfg, name = self.cfg, entry.name
        age = time.time() - entry.st.st_mtime
        if entry.kind == "link":
            return self._turn_away(inbox, entry, "这是一个符号链接（快捷方式）：收件箱不跟随链接，不读取也不移动它指向的"
                                                 "文件或文件夹。请投放文件本身")
        if entry.kind == "other":
            return self._turn_away(inbox, entry, "不是普通文件（管道、设备或套接字等），未读取")
        if is_partial(name):
            if age < cfg["INGEST_ABANDON_SECONDS"]:
                return WAIT
            return self._turn_away(inbox, entry, f"文件名是临时文件名（以“.”或“~$”开头，或以 .part、.tmp 等结尾），且已 "
                                                 f"{int(age)} 秒没有变化，可能是中断的复制，未读取。如需导入，请改为正式文件名后重新投放")
        if entry.st.st_nlink > 1:
            return self._turn_away(inbox, entry, "这是一个硬链接（同一文件在别处还有名字），为免读取或移动收件箱以外的文件，未读取")
        s = db.session()
        try:
            unit, cat = place(s, entry.parts, codes)
        except Rejected as exc:
            return self._turn_away(inbox, entry, str(exc))
        ext = os.path.splitext(name)[1].lower()
        if ext not in CSV_EXT | VISUAL_EXT:
            return self._turn_away(inbox, entry, f"不支持的文件类型「{ext or '无扩展名'}」：请使用 CSV 或制表符分隔的 .txt"
                                                 "（UTF-8、GBK 或 UTF-16）、PDF 或 JPEG/PNG/WebP/GIF 图片", unit, cat)
        size, limit = entry.st.st_size, cfg["INGEST_MAX_BYTES"]
        if size >= limit:
            return self._turn_away(inbox, entry, f"文件过大（{size / 1048576:.1f} MB，上限 {limit / 1048576:.0f} MB），未读取",
                                   unit, cat)
        return self._take(inbox, entry, unit, cat, ext, age, now)

    def _take(self, inbox: Inbox, entry: Entry, unit: Unit, cat: Category, ext: str, age: float, now: float):
        """Phase 1 reads and hashes a stable file; phase 2, `settle` later, takes it if unchanged."""
        settle = self.cfg["INGEST_SETTLE_SECONDS"]
        read = self.settler.read_before(entry)
        if read is not None and now - read[1] < settle:
            return WAIT
        sha = read[0] if read is not None else None
        if sha is None:
            if self.unfinished.get(entry.key) == entry.shape:
                return self._unfinished(inbox, entry, age, unit, cat)
            try:
                data, before, after = inbox.read(entry.parts, entry.name, entry.st.st_size + 1)
            except FileNotFoundError:
                return None
            except OSError as exc:   # not readable by the server's account, an I/O error …
                why = os.strerror(exc.errno) if exc.errno else str(exc)
                return self._turn_away(inbox, entry, f"无法读取此文件（{why}），未导入；请检查文件的权限后重新投放", unit, cat)
            if not _same(entry, before, after, data):
                self.settler.forget(entry)
                return WAIT
            if looks_unfinished(data):
                self.unfinished[entry.key] = entry.shape
                return self._unfinished(inbox, entry, age, unit, cat)
            self.unfinished.pop(entry.key, None)
            sha = hashlib.sha256(data).hexdigest()
            self.settler.note_read(entry, sha, now)
            if settle > 0:
                return WAIT
        if cat.id in self.busy:
            return WAIT   # an earlier file of this category waits: keep their order
        lock = target_lock(inbox, f"category-{cat.id}")
        if lock is None:
            self.busy.add(cat.id)
            return WAIT
        try:
            try:
                claimed = self.claims.claim(inbox, entry.parts, entry.name)
            except OSError as exc:
                return self._stuck(inbox, entry, new_row(entry, unit, cat, sha), "文件未导入：无法把它从投放的文件夹移走", exc)
            if claimed is None:
                return None
            try:
                data, before, after = inbox.read(*claimed, entry.st.st_size + 1)
                if not _same(entry, before, after, data) or hashlib.sha256(data).hexdigest() != sha:
                    self.claims.put_back(inbox, claimed, entry.parts, entry.name)
                    self.settler.forget(entry)
                    return WAIT
                return self._make(inbox, entry, claimed, unit, cat, ext, data, sha)
            except BaseException:
                self._give_back(inbox, claimed, entry)   # never left in this process's claim folder
                raise
        finally:
            os.close(lock)

    def _unfinished(self, inbox, entry: Entry, age: float, unit, cat):
        if age < self.cfg["INGEST_ABANDON_SECONDS"]:
            return WAIT
        self.unfinished.pop(entry.key, None)
        what = "文件为空" if entry.st.st_size == 0 else "文件末尾是空字节（0x00），像是预分配了大小却没有写完"
        return self._turn_away(inbox, entry, f"{what}，且已 {int(age)} 秒没有变化，未导入；请重新投放完整的文件", unit, cat)

    def _make(self, inbox, entry: Entry, claimed, unit: Unit, cat: Category, ext: str, data: bytes, sha: str):
        """Turn the claimed file into a revision, record it, then file it away with its reason."""
        s = db.session()
        name = display_name(entry.name)
        stem, named = split_name(os.path.splitext(name)[0])
        row = new_row(entry, unit, cat, sha)
        try:
            user = ingest_user(s, unit)
            make = drafts.ingest_table if ext in CSV_EXT else drafts.ingest_visuals
            args = (s, self.cfg, user, unit, cat, stem, named, data) + (() if ext in CSV_EXT else (name,))
            made = make(*args)
            row.outcome, row.item_id, row.revision_number = made.outcome, made.item.id, made.number
            lines = made.lines
        except Rejected as exc:
            s.rollback()
            lines = [str(exc)]
        except IntegrityError:   # another process made the category's first item just now: try again
            s.rollback()
            self.claims.put_back(inbox, claimed, entry.parts, entry.name)
            self.settler.forget(entry)
            self.app.logger.info("ingest of %s deferred: another process is importing into %s", entry.rel, cat.key)
            return WAIT
        except DBAPIError:
            s.rollback()
            self.claims.put_back(inbox, claimed, entry.parts, entry.name)
            raise
        except Exception as exc:  # noqa: BLE001  (the file must still land in rejected/ with a reason)
            s.rollback()
            self.app.logger.exception("ingest of %s failed", entry.rel)
            lines = [f"导入时出现内部错误（{type(exc).__name__}），请联系管理员"]
        if row.outcome == "processed" and not _unchanged(inbox, claimed, entry):
            lines.append("注意：导入后文件又被写入，已放回收件箱，写完后会重新导入并更新这份草稿")
            self.claims.put_back(inbox, claimed, entry.parts, entry.name)
            self._record(row, lines, "")
            self.settler.forget(entry)
            return row
        return self._file_away(inbox, entry, claimed, row, lines)

    # --- running ----------------------------------------------------------------------------

    def run_once(self) -> tuple[list[IngestedFile], int]:
        """What `ingest --once` does: look, and take what stays unchanged over two settle intervals."""
        settle = self.cfg["INGEST_SETTLE_SECONDS"]
        rows, waiting = self.scan()
        for _ in range(2):
            if not waiting:
                break
            time.sleep(settle)
            more, waiting = self.scan()
            rows += more
        self.close()
        return rows, waiting

    def _loop(self) -> None:
        settle = self.cfg["INGEST_SETTLE_SECONDS"]
        rescan = self.cfg["INGEST_RESCAN_SECONDS"]
        delay = 0.0
        while not self.stopping.is_set():
            self.wake.wait(delay)
            self.wake.clear()
            if self.stopping.is_set():
                break
            try:
                _rows, waiting = self.scan()
                delay = max(0.05, settle / 2) if waiting else rescan
            except Exception:  # noqa: BLE001  (keep watching; the next round retries)
                self.app.logger.exception("inbox scan failed")
                delay = rescan

    def start(self) -> "IngestService":
        os.makedirs(self.root, exist_ok=True)
        self.watch = FolderWatch(self.wake.set, self.app.logger)
        self.watch.observer.start()
        self.thread = threading.Thread(target=self._loop, name="gongkai-ingest", daemon=True)
        self.thread.start()
        return self

    def close(self) -> None:
        """Give up this process's claim lock (its claim folder is empty between files)."""
        if self.claims is not None:
            try:
                with Inbox(self.root) as inbox:
                    self.claims.release(inbox)
            except OSError:
                self.claims.release()
            self.claims = None

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.watch is not None:
            self.watch.stop()
        if self.thread is not None:
            self.thread.join(10)
        self.close()


def _same(entry: Entry, before: os.stat_result, after: os.stat_result, data: bytes) -> bool:
    """The file read is the one listed, and nothing wrote to it while it was read."""
    shape = (before.st_ino, before.st_size, before.st_mtime_ns)
    return shape == (after.st_ino, after.st_size, after.st_mtime_ns) == entry.shape[:3] and len(data) == before.st_size


def _unchanged(inbox: Inbox, claimed, entry: Entry) -> bool:
    st = inbox.lstat(*claimed)
    return st is not None and (st.st_ino, st.st_size, st.st_mtime_ns) == entry.shape[:3]


def start_ingest(app) -> IngestService:
    """Background service (server/background.py): watch the inbox beside the web app."""
    return IngestService(app).start()
