"""Drop-folder ingest (收件箱): files dropped into `<instance>/inbox/[<unit-code>/]<category-slug>/`
become draft revisions, then move to `processed/<date>/` or `rejected/<date>/` with a reason file.

A file is read only once its size and mtime have not moved for INGEST_SETTLE_SECONDS and its name
is not a temporary one; it is first claimed by an atomic rename into `.work/<pid>/`, so several
server processes (or the `ingest --once` command) never take the same file twice. A watchdog
Observer wakes the worker thread at once; a periodic rescan covers missed events.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from server import audit, db

from server.disclosure import items
from server.i18n import term, text_in
from server.ingest.inbox import (Drop, FolderWatch, Settler, claim, destination, find_drops, finish,
                          inbox_folders, inbox_root, local_day, recover_claims)
from server.ingest.models import IngestedFile
from server.models import Category, Item, RoleGrant, Unit, User, utcnow
from server.disclosure.uploads import parse_csv, store_visuals
from server.validation import ServiceError

INGEST_USER = "_ingest"
CSV_EXT = {".csv", ".txt"}
VISUAL_EXT = {".pdf", ".jpg", ".jpeg", ".png", ".webp", ".gif"}


class Rejected(Exception):
    """A file that cannot become a revision; the message (Chinese) goes into its reason file."""


def ingest_user(s, unit: Unit) -> User:
    """The system account drafts are made by: never active (cannot log in), only `contributor`
    in the units it ingests for, so it can never review or approve; the audit log names it `_ingest`."""
    from server.auth import hash_password
    user = s.scalar(select(User).where(User.username == INGEST_USER))
    if user is None:
        user = User(username=INGEST_USER, display_name="自动导入（收件箱）", active=False,
                    password_hash=hash_password(os.urandom(32).hex()))
        s.add(user)
        s.flush()
        audit.record(s, "system", "user.create", f"user:{INGEST_USER}", None, {"system": True})
    if not any(g.unit_id == unit.id and g.role == "contributor" for g in user.grants):
        user.grants.append(RoleGrant(unit_id=unit.id, role="contributor"))
        s.flush()
    return user


def _service_reason(exc: ServiceError, what: str) -> str:
    """The refusal's details in Chinese, like the reason files always are."""
    details = [params.get("detail") or code for code, params in exc.fields.values()] or [exc.code]
    return f"{what}：" + "；".join(text_in("zh", d[0], **d[1]) if isinstance(d, tuple) else str(d) for d in details)


def _title(cat: Category, name: str, cfg) -> str:
    """The file name when it says something in Chinese, else the category's name and the day."""
    stem = os.path.splitext(name)[0].strip()
    if any("\u3400" <= ch <= "\u9fff" for ch in stem):
        return stem[:200]
    return f"{cat.name}（{local_day(cfg['TIMEZONE_OFFSET_HOURS'])} 导入）"[:200]


def _target(s, unit: Unit, cat: Category, user: User) -> tuple[Item | None, str]:
    """For a table: the item to update and how — `draft` (an ingest draft not yet submitted),
    `correct` (更正 of a live table item) or None for a new item."""
    found = s.scalars(select(Item).where(Item.unit_id == unit.id, Item.category_id == cat.id,
                                         Item.kind == "item").order_by(Item.id.desc())).all()
    for item in found:
        working, live = items.working_revision(item), items.live_revision(item)
        if working is not None and working.created_by == user.id and working.status == "draft" \
                and working.table:
            return item, "draft"
        if live is not None and live.table:
            if working is not None:
                raise Rejected(f"事项 #{item.id}「{live.title}」已有第 {working.number} 版正在办理"
                               f"（{term('status', working.status, language='zh')}），请办结后再投放此文件")
            return item, "correct"
    return None, "new"


def _ingest_table(s, unit, cat, user, name: str, data: bytes, cfg) -> tuple[Item, int, str]:
    try:
        table = parse_csv(data, cfg["MAX_TABLE_ROWS"])
    except ServiceError as exc:
        raise Rejected(_service_reason(exc, "CSV 无法导入")) from None
    item, how = _target(s, unit, cat, user)
    if how == "correct":
        items.start_correction(s, user, item, f"{cat.name}更新（收件箱文件 {name}）")
    elif how == "new":
        item = items.create_draft(s, user, unit, {"category": cat.key, "title": _title(cat, name, cfg),
                                                "body": ""})
    rev = items.working_revision(item)
    items.edit_draft(s, user, item, {"table": table}, rev.edit_version)
    label = {"correct": "更正草稿", "draft": "更新了尚未提交的导入草稿", "new": "新事项草稿"}[how]
    return item, rev.number, f"{label}，共 {len(table['rows'])} 行"


def _ingest_visual(s, unit, cat, user, name: str, data: bytes, cfg) -> tuple[Item, int, str]:
    try:
        metas = store_visuals(data, cfg["MEDIA_DIR"], cfg["MAX_IMAGE_PIXELS"])
    except ServiceError as exc:
        raise Rejected(_service_reason(exc, "文件无法导入")) from None
    item = items.create_draft(s, user, unit, {"category": cat.key, "title": _title(cat, name, cfg), "body": ""})
    for page, meta in enumerate(metas):
        items.attach_image(s, user, item, meta, name if len(metas) == 1 else f"{name} #{page + 1}")
    return item, 1, f"新事项草稿，{len(metas)} 张图片" + ("（PDF 每页一张）" if len(metas) > 1 else "")


def ingest_file(s, cfg, drop: Drop, path: str, row: IngestedFile) -> str:
    """Turn one claimed file into a draft revision; fills `row`; raises Rejected with the reason."""
    name = os.path.basename(drop.path)
    size = os.stat(path).st_size
    row.size = size
    limit = cfg["INGEST_MAX_BYTES"]
    unit = s.scalar(select(Unit).where(Unit.code == drop.unit_code)) if drop.unit_code else \
        s.scalar(select(Unit).order_by(Unit.id).limit(1))
    row.unit_id = unit.id if unit else None
    if unit is None:
        raise Rejected("尚未建立任何单位，请先运行 python -m server init")
    if drop.slug is None:
        raise Rejected("文件须放在栏目文件夹内：inbox/<栏目代码>/ 或 inbox/<单位代码>/<栏目代码>/")
    if size >= limit:
        raise Rejected(f"文件过大（{size / 1048576:.1f} MB，上限 {limit / 1048576:.0f} MB），未读取")
    cat = s.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == drop.slug))
    if cat is None:
        raise Rejected(f"未知的公开目录栏目「{drop.slug}」（单位 {unit.code}），请检查文件夹名称")
    ext = os.path.splitext(name)[1].lower()
    if ext not in CSV_EXT | VISUAL_EXT:
        raise Rejected(f"不支持的文件类型「{ext or '无扩展名'}」：请使用 CSV（UTF-8 或 GBK）、PDF 或图片")
    if size == 0:
        raise Rejected("文件为空")
    with open(path, "rb") as fh:
        data = fh.read()
    row.sha256 = hashlib.sha256(data).hexdigest()
    same = s.scalar(select(IngestedFile).where(
        IngestedFile.unit_id == unit.id, IngestedFile.category_key == cat.key,
        IngestedFile.sha256 == row.sha256, IngestedFile.outcome == "processed").limit(1))
    if same is not None:
        row.outcome, row.item_id, row.revision_number = "duplicate", same.item_id, same.revision_number
        return (f"与 {same.at.date().isoformat()} 导入的「{same.filename}」内容相同，未重复生成修订"
                f"（事项 #{same.item_id} 第 {same.revision_number} 版）")
    user = ingest_user(s, unit)
    make = _ingest_table if ext in CSV_EXT else _ingest_visual
    item, number, what = make(s, unit, cat, user, name, data, cfg)
    row.outcome, row.item_id, row.revision_number = "processed", item.id, number
    return f"已导入：事项 #{item.id} 第 {number} 版，{what}，等待联络员提交审核"


def process(app, root: str, drop: Drop) -> IngestedFile | None:
    """Claim, ingest and file away one drop; never loses it (errors send it to rejected/)."""
    claimed = claim(root, drop)
    if claimed is None:
        return None
    rel = drop.rel_dir
    row = IngestedFile(category_key=(drop.slug or "")[:64], filename=os.path.basename(drop.path)[:255],
                       size=0, outcome="rejected")
    s = db.session()
    try:
        reason = ingest_file(s, app.config, drop, claimed, row)
    except Rejected as exc:
        s.rollback()
        row.outcome, row.item_id, row.revision_number, reason = "rejected", None, None, str(exc)
    except DBAPIError:  # the database is down or locked: not the file's fault, try again later
        s.rollback()
        os.rename(claimed, drop.path)
        raise
    except Exception as exc:  # noqa: BLE001  (the file must still land in rejected/ with a reason)
        s.rollback()
        app.logger.exception("ingest of %s failed", drop.path)
        row.outcome, row.item_id, row.revision_number = "rejected", None, None
        reason = f"导入时出现内部错误（{type(exc).__name__}），请联系管理员"
    dest = destination(root, drop, row.outcome, app.config["TIMEZONE_OFFSET_HOURS"])
    row.reason, row.moved_to, row.at = reason, os.path.relpath(dest, root)[:500], utcnow()
    try:
        s.add(row)
        s.flush()
        audit.record(s, INGEST_USER, f"ingest.{row.outcome}", f"ingest:{row.id}", None,
                     {"file": f"{rel}/{row.filename}", "sha256": row.sha256, "size": row.size,
                      "item": row.item_id, "revision": row.revision_number, "reason": reason})
        s.commit()  # recorded first: if we die before the move, the file comes back as a duplicate
    except DBAPIError:
        s.rollback()
        os.rename(claimed, drop.path)
        raise
    s.expunge(row)  # a detached record the caller can read after later rollbacks
    finish(claimed, dest, reason)
    return row


class IngestService:
    """The inbox watcher: one worker thread woken by watchdog events or the periodic rescan."""

    def __init__(self, app):
        self.app = app
        self.root = inbox_root(app)
        self.settler = Settler()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.watch: FolderWatch | None = None

    def scan(self, now: float | None = None) -> tuple[list[IngestedFile], int]:
        """Process every settled file now; returns the rows written and how many still settle."""
        with self.app.app_context():
            try:
                codes = set(db.session().scalars(select(Unit.code)))
                if self.watch is not None:  # watch first, then list: nothing falls in between
                    self.watch.sync(inbox_folders(self.root, codes))
                drops = find_drops(self.root, codes)
                ready, waiting = self.settler.stable(
                    drops, self.app.config["INGEST_SETTLE_SECONDS"], time.monotonic() if now is None else now)
                rows = [r for r in (process(self.app, self.root, d) for d in ready) if r is not None]
                return rows, waiting
            finally:
                db.close_session()

    def run_once(self) -> tuple[list[IngestedFile], int]:
        """What `ingest --once` does: look, wait one settle interval, take what did not change."""
        os.makedirs(self.root, exist_ok=True)
        recover_claims(self.root)
        self.scan()
        time.sleep(self.app.config["INGEST_SETTLE_SECONDS"])
        return self.scan()

    def _loop(self) -> None:
        settle = self.app.config["INGEST_SETTLE_SECONDS"]
        rescan = self.app.config["INGEST_RESCAN_SECONDS"]
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
        recover_claims(self.root)
        self.watch = FolderWatch(self.wake.set, self.app.logger)
        self.watch.observer.start()
        self.thread = threading.Thread(target=self._loop, name="gongkai-ingest", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.watch is not None:
            self.watch.stop()
        if self.thread is not None:
            self.thread.join(10)


def start_ingest(app) -> IngestService:
    """Background service (server/background.py): watch the inbox beside the web app."""
    return IngestService(app).start()
