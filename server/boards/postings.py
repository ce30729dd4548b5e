"""张贴记录 and the tasks they make: staff record that a print hangs on a board (where, when, an optional
photo) and when it came down. A posting whose revision is no longer the published one — a 更正
published a newer revision, the item was 撤销, or its 公示 ended — is outdated: a task "更换为第 N 版"
(a newer revision is published) or "撤下" (nothing is), due BOARD_TASK_DAYS working days after the
event, closed by recording the take-down or posting the new revision on that board. Derived from
the stored data on every read; nothing hooks the workflow."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.model import Role, Status, in_years
from server import audit
from server.auth import require_roles
from server.boards.models import BoardPosting
from server.boards.prints import board_of, clean_paper
from server.disclosure import items
from server.guard.bounds import as_id
from server.models import Item, Revision, Unit, User, utcnow
from server.validation import ServiceError
from server.workdays import calendar_for, local, local_zone

POSTERS = (Role.CONTRIBUTOR, Role.REVIEWER, Role.HANDLER, Role.ADMIN)   # who records postings and take-downs
TASKS = ("replace", "take_down")                                        # what an outdated posting asks for
ENDED = {Status.SUPERSEDED.value: "corrected", Status.WITHDRAWN.value: "withdrawn", Status.EXPIRED.value: "expired"}
WAS_PUBLISHED = frozenset({Status.PUBLISHED.value, *ENDED})
FUTURE_SLACK = timedelta(minutes=10)   # a phone's clock a little ahead is not "in the future"


def parse_when(text, field: str = "posted_at") -> datetime:
    """A form's local date or date-time ("2026-12-06" or "2026-12-06T09:30"), as UTC; empty means now.
    Not in the future, within the accepted years; 422 naming the field otherwise."""
    text = str(text or "").strip()
    if not text:
        return utcnow()
    try:
        when = datetime.fromisoformat(text[:32])
    except ValueError:
        raise ServiceError(422, "invalid", {field: ("brd.bad_time", {})}) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=local_zone())
    when = when.astimezone(timezone.utc)
    if not in_years(when) or when > utcnow() + FUTURE_SLACK:
        raise ServiceError(422, "invalid", {field: ("brd.future_time", {})})
    return when


def _revision(item: Item, number) -> Revision:
    """Revision `number` (default: the published one); it must have been published (422 otherwise)."""
    wanted = as_id(number) if number not in (None, "") else None
    if number not in (None, "") and wanted is None:
        raise ServiceError(422, "invalid", {"revision": ("brd.never_published", {})})
    rev = next((r for r in item.revisions if r.number == wanted), None) if wanted else items.live_revision(item)
    if rev is None or rev.status not in WAS_PUBLISHED or rev.published_at is None:
        raise ServiceError(422, "invalid", {"revision": ("brd.never_published", {})})
    return rev


def record_posting(s: Session, user: User, item: Item, *, board, number=None, size=None, orientation=None,
                   posted_at=None, photo_sha: str | None = None) -> BoardPosting:
    """张贴: revision `number` of `item` hangs on `board` since `posted_at`. Earlier postings of the item
    on that board still up are closed as replaced by this one."""
    if not items.can_view(user, item):
        raise ServiceError(404, "not_found")
    require_roles(user, item.unit, *POSTERS)
    point = board_of(s, item.unit, board)
    errors, rev, paper, when = {}, None, None, None
    for step in ("revision", "paper", "when"):
        try:
            if step == "revision":
                rev = _revision(item, number)
            elif step == "paper":
                paper = "-".join(clean_paper(size, orientation))
            else:
                when = parse_when(posted_at)
        except ServiceError as exc:
            errors.update(exc.fields)
    if errors:
        raise ServiceError(422, "invalid", errors)
    posting = BoardPosting(unit_id=item.unit_id, board_id=point.id, item_id=item.id, revision_number=rev.number,
                           paper=paper, posted_at=when, posted_by=user.id, photo_sha=photo_sha)
    s.add(posting)
    s.flush()
    replaced = []
    for old in s.scalars(select(BoardPosting).where(BoardPosting.item_id == item.id, BoardPosting.board_id == point.id,
                                                    BoardPosting.taken_down_at.is_(None),
                                                    BoardPosting.id != posting.id)):
        old.taken_down_at, old.taken_down_by, old.replaced_by = when, user.id, posting.id
        replaced.append(old.id)
    audit.record(s, user.username, "board.post", f"board_posting:{posting.id}", None,
                 {"board": point.code, "item": item.id, "revision": rev.number, "paper": paper,
                  "posted_at": when.isoformat(), "photo": photo_sha, "replaced": replaced})
    s.commit()
    return posting


def find_posting(s: Session, user: User, posting_id) -> BoardPosting:
    """A posting of an item the user may see (404 otherwise)."""
    posting = s.get(BoardPosting, as_id(posting_id)) if as_id(posting_id) else None
    if posting is None or not items.can_view(user, posting.item):
        raise ServiceError(404, "not_found")
    return posting


def take_down(s: Session, user: User, posting: BoardPosting, when=None) -> BoardPosting:
    """撤下: the print came off its board (409 if that was recorded already)."""
    require_roles(user, posting.unit, *POSTERS)
    if posting.taken_down_at is not None:
        raise ServiceError(409, "brd.already_down")
    posting.taken_down_at, posting.taken_down_by = parse_when(when, "taken_down_at"), user.id
    audit.record(s, user.username, "board.take_down", f"board_posting:{posting.id}", None,
                 {"taken_down_at": posting.taken_down_at.isoformat()})
    s.commit()
    return posting


# --- what hangs where, and what is outdated -------------------------------------------------------------

def task_of(posting: BoardPosting, cal, today, days: int) -> dict | None:
    """The task an open posting makes, or None while its revision is still the published one."""
    item = posting.item
    rev = next((r for r in item.revisions if r.number == posting.revision_number), None)
    if rev is None or rev.status == Status.PUBLISHED.value or posting.taken_down_at is not None:
        return None
    current = next((r for r in reversed(item.revisions) if r.status == Status.PUBLISHED.value), None)
    ended = next((d.at for d in reversed(rev.decisions) if d.to_status in ENDED), None)
    start = max(local(ended).date() if ended else today, local(posting.posted_at).date())
    due = cal.add_working_days(start, days)
    return {"posting_id": posting.id, "board_code": posting.board.code, "board_name": posting.board.name,
            "item_id": item.id, "title": rev.title, "posted_revision": posting.revision_number,
            "current_revision": current.number if current is not None else None,
            "task": "replace" if current is not None else "take_down",
            "reason": ENDED.get(rev.status, "withdrawn"), "due": due, "overdue": today > due,
            "posted_at": posting.posted_at}


def posted_title(posting: BoardPosting) -> str:
    """The title on the paper: that of the posted revision (published once, so no draft's words)."""
    rev = next((r for r in posting.item.revisions if r.number == posting.revision_number), None)
    return rev.title if rev is not None else ""


def _context(s: Session):
    from server.hearing.feedback import today
    days = int(current_app.config.get("BOARD_TASK_DAYS", 2))
    return calendar_for(s), today(), days


def outdated_for_unit(s: Session, unit: Unit) -> list[dict]:
    """Every outdated posting of the unit, most urgent first: one dict per posting with board_code,
    board_name, item_id, title, posted_revision, current_revision (None when nothing is published now),
    task ("take_down" / "replace"), reason ("corrected" / "withdrawn" / "expired"), due (date), overdue
    (bool), posting_id and posted_at. The bureau's summary and the 公开监督 dashboard read this."""
    cal, today, days = _context(s)
    rows = s.scalars(select(BoardPosting).where(BoardPosting.unit_id == unit.id, BoardPosting.taken_down_at.is_(None))
                     .order_by(BoardPosting.id))
    tasks = [task for p in rows if (task := task_of(p, cal, today, days)) is not None]
    return sorted(tasks, key=lambda t: (t["due"], t["board_code"], t["item_id"]))


def for_item(s: Session, item: Item) -> list[dict]:
    """Every posting of the item, newest first, each with its task (None when current or taken down)."""
    cal, today, days = _context(s)
    rows = s.scalars(select(BoardPosting).where(BoardPosting.item_id == item.id)
                     .order_by(BoardPosting.posted_at.desc(), BoardPosting.id.desc()))
    return [{"posting": p, "task": task_of(p, cal, today, days), "title": posted_title(p)} for p in rows]


def for_unit(s: Session, unit: Unit, limit: int = 200) -> list[dict]:
    """The unit's postings still up, newest first, each with its task."""
    cal, today, days = _context(s)
    rows = s.scalars(select(BoardPosting).where(BoardPosting.unit_id == unit.id, BoardPosting.taken_down_at.is_(None))
                     .order_by(BoardPosting.posted_at.desc(), BoardPosting.id.desc()).limit(limit))
    return [{"posting": p, "task": task_of(p, cal, today, days), "title": posted_title(p)} for p in rows]
