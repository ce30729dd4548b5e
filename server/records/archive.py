"""归档 archive: one zip per period with every revision past draft (JSON + rendered HTML, long tables
paged, + media; drafts only when asked), workflow decision (people by name and role), feedback and
request with its handling, and the audit log with its hash chain; a manifest lists every file's
size and SHA-256. Written as a stream (media are copied in chunks, never held)."""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from datetime import date, datetime, time, timedelta, timezone

from markupsafe import escape
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from content import markdown as md
from content.model import Status
from server.audit import GENESIS
from server.hearing.models import Feedback, InfoRequest
from server.i18n import term
from server.models import AuditEntry, Decision, Item, Revision, Unit
from server.records.archive_rows import decision_row, feedback_row, request_row, revision_row

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class ArchiveError(Exception):
    """An archive that cannot be written as asked; the message says why."""


def period_bounds(start: date, end: date, offset_hours: int) -> tuple[datetime, datetime]:
    """UTC bounds of the local days start..end inclusive."""
    if end < start:
        raise ArchiveError(f"--to {end} is before --from {start}")
    zone = timezone(timedelta(hours=offset_hours))
    lo = datetime.combine(start, time(), zone).astimezone(timezone.utc)
    return lo, datetime.combine(end + timedelta(days=1), time(), zone).astimezone(timezone.utc)


class _Writer:
    """Adds entries to the zip while hashing them, and remembers each for the manifest."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf, self.files = zf, []

    def put(self, path: str, chunks, compress: bool = True) -> None:
        h, size = hashlib.sha256(), 0
        info = zipfile.ZipInfo(path, date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        with self.zf.open(info, "w", force_zip64=True) as out:
            for chunk in chunks:
                h.update(chunk)
                size += len(chunk)
                out.write(chunk)
        self.files.append({"path": path, "size": size, "sha256": h.hexdigest()})

    def put_jsonl(self, path: str, rows) -> int:
        count = [0]

        def lines():
            for row in rows:
                count[0] += 1
                yield (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        self.put(path, lines())
        return count[0]


def _file_chunks(path: str):
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            yield block


def _audience(value) -> str:
    """An audience in Chinese (archives are Chinese records); anything else as it is."""
    return term("audience", value, default=str(value), language="zh")


def _action(value) -> str:
    return term("action", value, default=str(value), language="zh")


def _audience_step(step) -> str:
    """One 先内后外 step ({"audiences": [...], "at": iso|None}) or a bare audience, in Chinese."""
    if not isinstance(step, dict):
        return _audience(step)
    who = "、".join(_audience(a) for a in step.get("audiences") or [])
    return f"{step['at']} 起 {who}" if step.get("at") else who


def _local(iso: str | None, offset_hours: int) -> str:
    """An ISO time as local `YYYY-MM-DD HH:MM:SS` for the page (the JSON keeps full UTC)."""
    if not iso:
        return ""
    zone = timezone(timedelta(hours=offset_hours))
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


PAGE_ROWS = 1000   # table rows per HTML page: a 50 000-row price list is 50 pages, not one 8 MB page


def table_pages(rev: Revision, page_rows: int = PAGE_ROWS) -> int:
    rows = len((rev.table or {}).get("rows") or [])
    return max(1, -(-rows // page_rows))


def page_name(rev: Revision, page: int) -> str:
    """The file name of one page of a revision's HTML, as the pages link to each other."""
    return f"{rev.item_id}-{rev.number}.html" if page == 1 else f"{rev.item_id}-{rev.number}.p{page}.html"


def _who(person: dict | None) -> str:
    if not person:
        return "系统"
    return f"{person['name']}（{person['role']}）" if person.get("role") else person["name"]


def _table_html(rev: Revision, page: int, pages: int, page_rows: int) -> list[str]:
    columns, rows = rev.table["columns"], rev.table.get("rows") or []
    shown = rows[(page - 1) * page_rows:page * page_rows]
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in r) + "</tr>" for r in shown)
    parts = []
    if pages > 1:
        links = " ".join(f"<b>{n}</b>" if n == page else f'<a href="{escape(page_name(rev, n))}">{n}</a>'
                         for n in range(1, pages + 1))
        first = (page - 1) * page_rows + 1
        parts.append(f"<p class=meta>表格共 {len(rows)} 行，本页第 {first}–{first + len(shown) - 1} 行 · 分页：{links}</p>")
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return parts


def render_html(rev: Revision, row: dict, offset_hours: int = 8, page: int = 1,
                page_rows: int = PAGE_ROWS) -> str:
    """A standalone page for one revision: the Markdown subset with raw HTML escaped, the table (a
    page of it when it is long), its images from ../media/, and the workflow decisions taken on it
    with the people's names and roles. Pages after the first hold only their part of the table."""
    audiences = "；".join(_audience_step(step) for step in rev.audiences or [])
    status = term("status", rev.status, default=str(rev.status), language="zh")
    pages = table_pages(rev, page_rows) if rev.table and rev.table.get("columns") else 1
    parts = [f"<h1>{escape(rev.title)}</h1>",
             f"<p class=meta>{escape(row['category_name'])} · 第 {rev.number} 版 · {escape(status)}"
             f" · 公开对象：{escape(audiences)}"
             f"{' · 发布于 ' + _local(row['published_at'], offset_hours) if row['published_at'] else ''}</p>"]
    if page == 1:
        parts.append(md.to_html(rev.body))
        if rev.reason:
            parts.append(f"<p class=meta>说明：{escape(rev.reason)}</p>")
    if rev.table and rev.table.get("columns"):
        parts += _table_html(rev, page, pages, page_rows)
    if page == 1:
        for att in rev.attachments:
            parts.append(f'<p><img src="../media/{escape(att.sha256)}" alt="{escape(att.filename)}" '
                         f'width="{att.width}" height="{att.height}"></p>')
        people = row.get("people") or {}
        if people:
            signed = " · ".join(f"{label}：{escape(_who(people[key]))}" for key, label in SIGNERS if key in people)
            parts.append(f"<p class=meta>{signed}</p>")
        if row["decisions"]:
            trail = "".join(f"<tr><td>{_local(d['at'], offset_hours)}</td><td>{escape(_action(d['action']))}</td>"
                            f"<td>{escape(_who({'name': d['actor_name'], 'role': d['actor_role']}) if d['actor'] else '系统')}</td>"
                            f"<td>{escape(d['comment'])}</td></tr>"
                            for d in row["decisions"])
            parts.append(f"<h2>审批记录</h2><table><thead><tr><th>时间 (UTC{offset_hours:+d})</th><th>操作</th><th>人员</th>"
                         f"<th>意见</th></tr></thead><tbody>{trail}</tbody></table>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             ".meta{color:#555}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}img{max-width:100%;height:auto}")
    title = rev.title if page == 1 else f"{rev.title}（第 {page} 页）"
    return ("<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{style}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


SIGNERS = (("created", "起草"), ("submitted", "提交"), ("reviewed", "审议"), ("cleared", "保密审查"),
           ("approved", "审定"), ("escalated", "再审定"))


def _revision_ids(s: Session, unit_ids: list[int], lo: datetime, hi: datetime,
                  include_drafts: bool = False) -> list[int]:
    """Revisions created in the period, or with a workflow decision in it; drafts (never
    submitted, so never decided on) only when asked for."""
    decided = exists().where(Decision.revision_id == Revision.id, Decision.at >= lo, Decision.at < hi)
    query = select(Revision.id).join(Item).where(
        Item.unit_id.in_(unit_ids),
        or_((Revision.created_at >= lo) & (Revision.created_at < hi), decided))
    if not include_drafts:
        query = query.where(Revision.status != Status.DRAFT.value)
    return s.scalars(query.order_by(Revision.item_id, Revision.number)).all()


def _audit_ids(s: Session, lo: datetime, hi: datetime) -> list[int]:
    """The contiguous run of entries from the first to the last one recorded in the period."""
    first = s.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.at >= lo, AuditEntry.at < hi))
    last = s.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.at >= lo, AuditEntry.at < hi))
    if first is None:
        return []
    return s.scalars(select(AuditEntry.id).where(AuditEntry.id.between(first, last)).order_by(AuditEntry.id)).all()


def _eager(model) -> list:
    """What each record reads, loaded per chunk instead of one query per row."""
    if model is Revision:
        return [joinedload(Revision.item).joinedload(Item.unit), joinedload(Revision.item).joinedload(Item.category),
                selectinload(Revision.attachments), selectinload(Revision.decisions).joinedload(Decision.actor)]
    if model is Decision:
        return [joinedload(Decision.revision), joinedload(Decision.actor)]
    if model in (Feedback, InfoRequest):
        return [joinedload(model.unit), selectinload(model.steps)] + \
            ([joinedload(Feedback.handler)] if model is Feedback else [])
    return []


def _load(s: Session, model, ids: list[int], chunk: int = 200):
    """Rows by id in order, a chunk at a time, dropped from the session after each chunk so a year of
    revisions with large tables never sits in memory at once (the session only reads here)."""
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        rows = {r.id: r for r in s.scalars(select(model).where(model.id.in_(part)).options(*_eager(model)))}
        for row_id in part:
            yield rows[row_id]
        s.expunge_all()


def audit_row(e: AuditEntry) -> dict:
    return {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
            "target": e.target, "before": e.before, "after": e.after,
            "prev_hash": e.prev_hash, "hash": e.hash}


def write_archive(s: Session, out_path: str, media_dir: str, start: date, end: date,
                  offset_hours: int = 8, unit_code: str | None = None, include_drafts: bool = False) -> dict:
    """Write the archive of local days start..end (all units, or one) to out_path; returns the
    manifest. Drafts are left out unless `include_drafts`."""
    lo, hi = period_bounds(start, end, offset_hours)
    units = s.scalars(select(Unit).order_by(Unit.id)
                      .where(Unit.code == unit_code) if unit_code else select(Unit).order_by(Unit.id)).all()
    if unit_code and not units:
        raise ArchiveError(f"no unit with code {unit_code}")
    unit_ids = [u.id for u in units]
    tmp = out_path + ".partial"
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            manifest = _write_entries(s, _Writer(zf), media_dir, unit_ids, lo, hi, offset_hours, include_drafts)
            manifest.update({"format": FORMAT, "kind": "gongkai-archive", "drafts": include_drafts,
                             "units": [{"code": u.code, "name": u.name} for u in units],
                             "period": {"from": start.isoformat(), "to": end.isoformat(),
                                        "utc_from": lo.isoformat(), "utc_to": hi.isoformat()},
                             "created_at": datetime.now(timezone.utc).isoformat()})
            data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
            zf.writestr(MANIFEST, data, compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, out_path)
        manifest["manifest_sha256"] = hashlib.sha256(data).hexdigest()   # for the register; not in the zip
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return manifest


def _write_entries(s: Session, w: _Writer, media_dir: str, unit_ids: list[int],
                   lo: datetime, hi: datetime, offset_hours: int, include_drafts: bool = False) -> dict:
    media: set[str] = set()
    revision_ids = _revision_ids(s, unit_ids, lo, hi, include_drafts)
    for rev in _load(s, Revision, revision_ids):
        row = revision_row(rev)
        base = f"revisions/{rev.item_id}-{rev.number}"
        w.put(base + ".json", [json.dumps(row, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")])
        pages = table_pages(rev) if rev.table and rev.table.get("columns") else 1
        for page in range(1, pages + 1):
            w.put("revisions/" + page_name(rev, page), [render_html(rev, row, offset_hours, page).encode("utf-8")])
        media.update(att.sha256 for att in rev.attachments)
    decisions = s.scalars(select(Decision.id).join(Revision).join(Item).where(
        Item.unit_id.in_(unit_ids), Decision.at >= lo, Decision.at < hi).order_by(Decision.id)).all()
    counts = {"revisions": len(revision_ids),
              "decisions": w.put_jsonl("decisions.jsonl", map(decision_row, _load(s, Decision, decisions)))}
    feedback = s.scalars(select(Feedback.id).where(Feedback.unit_id.in_(unit_ids), Feedback.received_at >= lo,
                                                   Feedback.received_at < hi).order_by(Feedback.id)).all()
    media.update(sha for sha in s.scalars(select(Feedback.photo_sha).where(
        Feedback.id.in_(feedback), Feedback.photo_sha.is_not(None))))
    counts["feedback"] = w.put_jsonl("feedback.jsonl", map(feedback_row, _load(s, Feedback, feedback)))
    requests = s.scalars(select(InfoRequest.id).where(InfoRequest.unit_id.in_(unit_ids), InfoRequest.received_at >= lo,
                                                      InfoRequest.received_at < hi).order_by(InfoRequest.id)).all()
    counts["requests"] = w.put_jsonl("requests.jsonl", map(request_row, _load(s, InfoRequest, requests)))
    ends: list[dict] = []   # the first and the last entry written

    def chained(entries):
        for e in entries:
            if not ends:
                ends.append(audit_row(e))
            ends[1:] = [audit_row(e)]
            yield ends[-1]
    counts["audit"] = w.put_jsonl("audit.jsonl", chained(_load(s, AuditEntry, _audit_ids(s, lo, hi), 2000)))
    missing = []
    for sha in sorted(media):
        path = os.path.join(media_dir, sha)
        if os.path.isfile(path):
            w.put(f"media/{sha}", _file_chunks(path), compress=False)
        else:
            missing.append(sha)
    counts["media"] = len(media) - len(missing)
    chain = {"first_id": ends[0]["id"] if ends else None, "last_id": ends[-1]["id"] if ends else None,
             "anchor": ends[0]["prev_hash"] if ends else GENESIS,
             "head": ends[-1]["hash"] if ends else GENESIS, "count": counts["audit"]}
    return {"counts": counts, "audit": chain, "missing_media": missing, "files": w.files}


# --- reading an archive back safely -------------------------------------------------------------

MIN_CAP = 1 << 30          # an archive may always expand to 1 GiB
MAX_RATIO = 50             # beyond that, to 50 × its own size (media are stored, JSON deflates ~10×)
MAX_ENTRIES = 1_000_000


class UnsafeArchive(Exception):
    """A zip whose entries would escape the target folder or expand without bound; lists them all."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def entry_problem(info: zipfile.ZipInfo, target_real: str) -> str | None:
    """Why this entry may not be extracted under target_real (None when it may)."""
    name = info.filename
    if "\\" in name or "\0" in name:
        return f"{name!r}: backslash or NUL in the name"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return f"{name!r}: absolute path"
    if ".." in name.split("/"):
        return f"{name!r}: '..' in the path"
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return f"{name!r}: symbolic link"
    path = os.path.realpath(os.path.join(target_real, name))
    if os.path.commonpath([target_real, path]) != target_real:
        return f"{name!r}: escapes the target folder"
    return None


def extract_archive(zip_path: str, target: str, max_total: int | None = None) -> list[str]:
    """Extract every entry under target, after checking all of them: no absolute paths, no '..', no
    symlinks, nothing resolving outside target, no duplicates, and a cap on the total uncompressed
    size (declared and actually read). Raises UnsafeArchive before writing anything if any fails."""
    os.makedirs(target, exist_ok=True)
    target_real = os.path.realpath(target)
    cap = max_total if max_total is not None else max(MIN_CAP, MAX_RATIO * os.path.getsize(zip_path))
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        problems, seen = [], set()
        if len(infos) > MAX_ENTRIES:
            problems.append(f"{len(infos)} entries: more than {MAX_ENTRIES}")
        for info in infos:
            problem = entry_problem(info, target_real)
            if problem is None and info.filename.rstrip("/") in seen:
                problem = f"{info.filename!r}: duplicate entry"
            seen.add(info.filename.rstrip("/"))
            if problem:
                problems.append(problem)
        declared = sum(i.file_size for i in infos)
        if declared > cap:
            problems.append(f"expands to {declared} bytes, more than the limit of {cap} (zip bomb?)")
        if problems:
            raise UnsafeArchive(problems)
        names, total = [], 0
        for info in infos:
            path = os.path.join(target_real, info.filename)
            if info.is_dir():
                os.makedirs(path, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with zf.open(info) as src, open(path, "xb") as out:
                for block in iter(lambda: src.read(CHUNK), b""):
                    total += len(block)
                    if total > cap:
                        raise UnsafeArchive([f"expands past the limit of {cap} bytes (zip bomb?)"])
                    out.write(block)
            names.append(info.filename)
    return names
