"""公开承诺 / 践诺 / 评诺: public commitments as ordinary items, shared by the admin UI, API and QR form.

One workflow, not a parallel one: a commitment is an Item of kind "commitment" whose body is rendered
from its Commitment row. Each 践诺 progress update (and the closing 已兑现/未兑现 entry) starts a new
revision of that item through items.start_update, so it is submitted, reviewed, cleared and approved
like any correction; screens only ever see the body of an approved revision. 评诺 ratings from the
phone form are counted per commitment (满意率 = (满意 + 基本满意) / all, as in 评议).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.model import Role, in_years
from server import audit
from server.disclosure import items
from server.hearing.feedback import RATINGS
from server.auth import require_roles
from server.commitments.models import Commitment, CommitmentRating, CommitmentUpdate
from server.i18n import lang, term, text_in
from server.models import Item, Unit, User, utcnow
from server.validation import MAX_TITLE, ServiceError
from server.workdays import local

KIND = "commitment"
DEFAULT_CATEGORY = "commitments"
COMMITTER_KINDS = ("unit", "department", "party_branch")
OUTCOMES = ("fulfilled", "unfulfilled")
STATUSES = ("ongoing",) + OUTCOMES
MAX_TEXT = 1000
MAX_NAME = 100
APPROVAL_STEPS = ("draft", "submitted", "reviewed", "cleared", "approved")


def today() -> date:
    return local(utcnow()).date()


def is_overdue(c: Commitment, on: date | None = None) -> bool:
    """逾期: still in progress after its due date."""
    return c.status == "ongoing" and c.due_date < (on or today())


# --- input ------------------------------------------------------------------------------------

def _text(data: dict, name: str, errors: dict, limit: int, required: bool = True) -> str:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        errors[name] = ("required", {})
    elif len(value) > limit:
        errors[name] = ("too_long", {"max": limit})
    return value


def _date(data: dict, name: str, errors: dict, default: date | None = None) -> date | None:
    value = data.get(name)
    if value in (None, "") and default is not None:
        return default
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if in_years(day):
                return day
    errors[name] = ("bad_date", {}) if value not in (None, "") else ("required", {})
    return None


def clean_commitment(data: dict) -> tuple[dict, dict]:
    """Validated title, pledge, committer kind and name, due date; and field errors."""
    errors: dict = {}
    out = {"title": _text(data, "title", errors, MAX_TITLE),
           "pledge": _text(data, "pledge", errors, MAX_TEXT),
           "committer": _text(data, "committer", errors, MAX_NAME),
           "due_date": _date(data, "due_date", errors)}
    kind = data.get("committer_kind")
    if kind not in COMMITTER_KINDS:
        errors["committer_kind"] = ("bad_committer_kind", {})
    out["committer_kind"] = kind
    return out, errors


def clean_update(data: dict) -> tuple[dict, dict]:
    """Validated 践诺 date, text, percent (0–100, optional) and milestone (optional)."""
    errors: dict = {}
    out = {"text": _text(data, "text", errors, MAX_TEXT),
           "milestone": _text(data, "milestone", errors, MAX_NAME, required=False),
           "on_date": _date(data, "on_date", errors, default=today()), "percent": None}
    percent = data.get("percent")
    if percent not in (None, ""):
        try:
            out["percent"] = int(str(percent).strip().rstrip("%"))
        except ValueError:
            out["percent"] = -1
        if isinstance(percent, bool) or not 0 <= out["percent"] <= 100:
            errors["percent"] = ("bad_percent", {})
    return out, errors


# --- the body screens show --------------------------------------------------------------------

def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or "—"


def progress_of(u: CommitmentUpdate) -> str:
    parts = [f"{u.percent}%" if u.percent is not None else "", u.milestone]
    return " · ".join(p for p in parts if p) or "—"


def render_body(c: Commitment, updates: list[CommitmentUpdate], status: str | None = None) -> str:
    """The item body (Markdown subset: list, headings, table) screens show with no changes."""
    kind = term("committer_kind", c.committer_kind, language="zh")
    state = term("pledge_status", status or c.status, language="zh")
    lines = [f"- 承诺主体：{c.committer}（{kind}）",
             f"- 承诺时限：{c.due_date.isoformat()} 前",
             f"- 兑现情况：{state}", "", "## 承诺内容", "", c.pledge, "",
             "## 践诺进展", ""]
    if not updates:
        return "\n".join(lines + ["暂无进展。", ""])
    lines += ["| 日期 | 进展 | 完成情况 |", "|---|---|---|"]
    lines += [f"| {u.on_date.isoformat()} | {_cell(u.text)} | {_cell(progress_of(u))} |"
              for u in sorted(updates, key=lambda u: (u.on_date, u.id or 0))]
    return "\n".join(lines + [""])


def approved_updates(c: Commitment) -> list[CommitmentUpdate]:
    """Updates whose revision was approved (published at some point)."""
    return [u for u in c.updates if u.revision.published_at is not None]


# --- actions ----------------------------------------------------------------------------------

def for_item(s: Session, item: Item | None) -> Commitment | None:
    if item is None or item.kind != KIND:
        return None
    return s.scalar(select(Commitment).where(Commitment.item_id == item.id))


def can_read(user: User, c: Commitment) -> bool:
    """A role in the unit, and need-to-know while its item is a confidential draft (items.can_view)."""
    return items.can_view(user, c.item)


def create(s: Session, user: User, unit: Unit, data: dict) -> Commitment:
    """A commitment: a draft item (kind "commitment") in the 公开承诺 category, plus its row."""
    require_roles(user, unit, Role.CONTRIBUTOR)
    values, errors = clean_commitment(data)
    category = data.get("category") or DEFAULT_CATEGORY
    try:
        items.find_category(s, unit, category)
    except ServiceError as exc:
        errors.update(exc.fields)
    if errors:
        raise ServiceError(422, "invalid", errors)
    c = Commitment(unit=unit, created_by=user.id, status="ongoing",
                   **{k: values[k] for k in ("committer_kind", "committer", "pledge", "due_date")})
    draft = {"category": category, "title": values["title"], "body": render_body(c, [])}
    if data.get("audiences") is not None:
        draft["audiences"] = data["audiences"]
    item = items.create_draft(s, user, unit, draft)
    item.kind = KIND
    c.item = item
    s.add(c)
    s.flush()
    audit.record(s, user.username, "commitment.create", f"commitment:{c.id}", None, snapshot(c))
    s.commit()
    return c


def _start_revision(s: Session, user: User, c: Commitment, entry: CommitmentUpdate,
                    status: str | None = None) -> CommitmentUpdate:
    """The new revision carrying `entry`; 409 while another revision is in the workflow."""
    if items.working_revision(c.item) is not None:
        raise ServiceError(409, "update_pending")
    if items.live_revision(c.item) is None:
        raise ServiceError(409, "not_live")
    body = render_body(c, approved_updates(c) + [entry], status)
    rev = items.start_update(s, user, c.item, body)
    entry.revision_id = rev.id
    c.updates.append(entry)
    s.flush()
    return entry


def add_progress(s: Session, user: User, c: Commitment, data: dict) -> CommitmentUpdate:
    """践诺: a progress entry on a new draft revision of the commitment item."""
    require_roles(user, c.unit, Role.CONTRIBUTOR)
    values, errors = clean_update(data)
    if errors:
        raise ServiceError(422, "invalid", errors)
    if c.status != "ongoing":
        raise ServiceError(409, "commitment_closed")
    entry = _start_revision(s, user, c, CommitmentUpdate(created_by=user.id, **values))
    audit.record(s, user.username, "commitment.progress", f"commitment:{c.id}", None,
                 {"revision": entry.revision.number, "text": entry.text, "percent": entry.percent})
    s.commit()
    return entry


def pending_update(c: Commitment) -> CommitmentUpdate | None:
    """The update riding on the item's working revision while that is a draft (e.g. sent back)."""
    working = items.working_revision(c.item)
    if working is None or working.status != "draft":
        return None
    return next((u for u in c.updates if u.revision_id == working.id), None)


def revise_progress(s: Session, user: User, c: Commitment, data: dict) -> CommitmentUpdate:
    """Change a 践诺 update whose revision is still a draft (e.g. after 退回修改); the body follows."""
    require_roles(user, c.unit, Role.CONTRIBUTOR)
    entry = pending_update(c)
    if entry is None:
        raise ServiceError(409, "not_editable")
    if c.status != "ongoing":
        raise ServiceError(409, "commitment_closed")
    values, errors = clean_update(data)
    if errors:
        raise ServiceError(422, "invalid", errors)
    for name, value in values.items():
        setattr(entry, name, value)
    body = render_body(c, approved_updates(c) + [entry])
    items.edit_draft(s, user, c.item, {"body": body}, entry.revision.edit_version)
    audit.record(s, user.username, "commitment.progress_edit", f"commitment:{c.id}", None,
                 {"revision": entry.revision.number, "text": entry.text, "percent": entry.percent})
    s.commit()
    return entry


def close(s: Session, user: User, c: Commitment, outcome: str, note: str) -> CommitmentUpdate:
    """兑现结论 by a reviewer or approver: the ledger status changes now; the closing entry goes to
    screens on a new revision once it is approved, like any update."""
    require_roles(user, c.unit, Role.REVIEWER, Role.APPROVER)
    errors: dict = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = ("bad_outcome", {})
    text = _text({"note": note}, "note", errors, MAX_TEXT)
    if errors:
        raise ServiceError(422, "invalid", errors)
    if c.status != "ongoing":
        raise ServiceError(409, "commitment_closed")
    before = snapshot(c)
    entry = CommitmentUpdate(created_by=user.id, on_date=today(), text=text,
                             milestone=term("pledge_status", outcome, language="zh"),
                             percent=100 if outcome == "fulfilled" else None)
    entry = _start_revision(s, user, c, entry, status=outcome)
    c.status, c.closed_at, c.closed_by, c.closing_note = outcome, utcnow(), user.id, text
    audit.record(s, user.username, "commitment.close", f"commitment:{c.id}", before, snapshot(c))
    s.commit()
    return entry


def rate(s: Session, c: Commitment, rating: str, *, idem_key: str | None = None,
         screen_code: str | None = None, device_id: str | None = None) -> tuple[CommitmentRating, bool]:
    """评诺 from the phone form; the same idempotency key twice stores one rating."""
    if rating not in RATINGS:
        raise ServiceError(422, "invalid", {"rating": ("bad_rating", {})})
    row = CommitmentRating(commitment_id=c.id, rating=rating, idem_key=idem_key,
                           screen_code=screen_code, device_id=device_id)
    try:
        s.add(row)
        s.flush()
        audit.record(s, "public", "commitment.rate", f"commitment:{c.id}", None, {"rating": rating})
        s.commit()
    except IntegrityError:
        s.rollback()
        existing = s.scalar(select(CommitmentRating).where(CommitmentRating.idem_key == idem_key))
        if existing is None:
            raise
        if (existing.commitment_id, existing.rating) != (c.id, rating):
            raise ServiceError(409, "idem_conflict") from None
        return existing, False
    return row, True


def rating_counts(s: Session, ids) -> dict[int, dict]:
    """Per commitment id: counts per rating, total and 满意率 (None without ratings)."""
    out = {i: dict.fromkeys(RATINGS, 0) for i in ids}
    rows = s.execute(select(CommitmentRating.commitment_id, CommitmentRating.rating)
                     .where(CommitmentRating.commitment_id.in_(list(out)))) if out else []
    for cid, rating in rows:
        if rating in RATINGS:
            out[cid][rating] += 1
    for counts in out.values():
        total = sum(counts[r] for r in RATINGS)
        counts["total"] = total
        counts["pct"] = round(100.0 * (counts["satisfied"] + counts["basic"]) / total, 1) if total else None
    return out


def unit_commitments(s: Session, unit: Unit, *, committer: str = "", status: str = "",
                     overdue: bool = False) -> list[Commitment]:
    """The unit's commitments, newest first, filtered by committer name, status and 逾期."""
    query = select(Commitment).where(Commitment.unit_id == unit.id).order_by(Commitment.id.desc())
    if committer:
        query = query.where(Commitment.committer == committer)
    if status in STATUSES:
        query = query.where(Commitment.status == status)
    rows = list(s.scalars(query))
    return [c for c in rows if is_overdue(c)] if overdue else rows


def snapshot(c: Commitment) -> dict:
    return {"item": c.item_id, "committer_kind": c.committer_kind, "committer": c.committer,
            "due_date": c.due_date.isoformat(), "status": c.status}


def to_json(s: Session, c: Commitment, counts: dict | None = None) -> dict:
    """A commitment for the staff API, with its updates and rating counts."""
    counts = counts or rating_counts(s, [c.id])[c.id]
    live = items.live_revision(c.item)
    return {"id": c.id, "item": c.item_id, "unit": c.unit.code, "title": c.item.revisions[-1].title,
            "committer_kind": c.committer_kind, "committer": c.committer, "pledge": c.pledge,
            "due_date": c.due_date.isoformat(), "status": c.status, "overdue": is_overdue(c),
            "published_revision": live.number if live else None,
            "updates": [{"id": u.id, "date": u.on_date.isoformat(), "text": u.text, "percent": u.percent,
                         "milestone": u.milestone, "revision": u.revision.number,
                         "revision_status": u.revision.status,
                         "approved_at": u.revision.published_at.isoformat()
                         if u.revision.published_at else None} for u in c.updates],
            "ratings": counts}


def approval_status(u: CommitmentUpdate, language: str | None = None) -> str:
    """已审定 once the update's revision was approved, else its workflow state (the ledger CSV: Chinese)."""
    language = language or lang()
    if u.revision.published_at is not None:
        return text_in(language, "cm.approved")
    if u.revision.status in APPROVAL_STEPS:
        return term("status", u.revision.status, language=language)
    return u.revision.status
