"""整改: a member hospital answers each finding of a published 督查通报 with a note; the bureau reads
them per finding (pending / overdue / answered) and accepts a finding once satisfied.

Who: the hospital's 公开办 (reviewer) or its admin answer; the bureau's supervisors accept; anyone with
a role in the bureau reads every finding, and a member hospital's staff read the published circular
with their own hospital's findings only (another hospital's finding is 404). Notes are append-only
(a later note adds to the earlier ones, both shown and audited) until the bureau accepts the finding;
after that, or once the circular is withdrawn, a note is refused (409). Due: RECTIFICATION_DAYS
working days (as stored with the circular) after its first publication (server/workdays.py)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.model import Role, Status
from server import audit
from server.auth import require_roles, roles_in
from server.bureau.models import Circular, Finding, RectificationNote
from server.disclosure import items
from server.models import Unit, User, utcnow
from server.validation import ServiceError, limited
from server.workdays import calendar_for, local

ANSWERERS = (Role.REVIEWER, Role.ADMIN)     # 公开办 or the hospital's admin
ACCEPTORS = (Role.SUPERVISOR,)              # the bureau's supervisors
MAX_NOTE = 2000


def published_at(circular: Circular):
    """When the circular first went live (None: never published)."""
    times = [r.published_at for r in circular.item.revisions if r.published_at is not None]
    return min(times) if times else None


def withdrawn(circular: Circular) -> bool:
    """撤销: its newest revision is withdrawn and nothing of it is live."""
    revs = circular.item.revisions
    return (bool(revs) and revs[-1].status == Status.WITHDRAWN.value
            and items.live_revision(circular.item) is None)


def due_date(s: Session, circular: Circular, cal=None) -> date | None:
    """`rectification_days` working days after the first publication (None: never published);
    `cal`: the working-day calendar when the caller has read it already."""
    at = published_at(circular)
    if at is None:
        return None
    return (cal or calendar_for(s)).add_working_days(local(at).date(), circular.rectification_days)


def state(finding: Finding, due: date | None, today: date) -> str:
    """pending / overdue / answered / accepted (server/bureau/findings.py STATES)."""
    if finding.accepted_at is not None:
        return "accepted"
    if finding.notes:
        return "answered"
    return "overdue" if due is not None and today > due else "pending"


def in_bureau(user: User, circular: Circular) -> bool:
    return bool(roles_in(user, circular.bureau))


def own_units(user: User, circular: Circular) -> set[int]:
    """Member hospitals of the circular's bureau where the user holds a role of that hospital's own."""
    return {g.unit_id for g in user.grants if g.unit.parent_id == circular.bureau_id}


def can_read(user: User, circular: Circular) -> bool:
    """The bureau's staff always; a member hospital's staff once the circular has been published."""
    return in_bureau(user, circular) or (published_at(circular) is not None and bool(own_units(user, circular)))


def findings_for(user: User, circular: Circular) -> list[Finding]:
    """Every finding for the bureau; a hospital's staff see their own hospital's only."""
    if in_bureau(user, circular):
        return list(circular.findings)
    mine = own_units(user, circular)
    return [f for f in circular.findings if f.unit_id in mine]


def load(s: Session, user: User, circular_id: int) -> Circular:
    circular = s.get(Circular, circular_id)
    if circular is None or not can_read(user, circular):
        raise ServiceError(404, "not_found")
    return circular


def load_finding(s: Session, user: User, finding_id: int) -> Finding:
    """The finding if the user may see it (else 404, so another hospital's findings do not leak)."""
    finding = s.get(Finding, finding_id)
    if finding is None or not can_read(user, finding.circular) or finding not in findings_for(user, finding.circular):
        raise ServiceError(404, "not_found")
    return finding


def _open(finding: Finding) -> None:
    circular = finding.circular
    if published_at(circular) is None:
        raise ServiceError(409, "cir.not_published")
    if withdrawn(circular):
        raise ServiceError(409, "cir.withdrawn")
    if finding.accepted_at is not None:
        raise ServiceError(409, "cir.accepted_already")


def answer(s: Session, user: User, finding: Finding, text) -> RectificationNote:
    """Add a 整改 note to the finding (its hospital's reviewer or admin); 422 empty or too long."""
    require_roles(user, finding.unit, *ANSWERERS)
    _open(finding)
    text = (text if isinstance(text, str) else "").strip()
    if not text:
        raise ServiceError(422, "invalid", {"text": ("required", {})})
    limited(text, "text", MAX_NOTE)
    note = RectificationNote(text=text, created_by=user.id)
    finding.notes.append(note)
    s.flush()
    audit.record(s, user.username, "circular.rectify", f"finding:{finding.id}", None,
                 {"circular": finding.circular_id, "unit": finding.unit.code, "kind": finding.kind,
                  "note": note.id, "text": text})
    s.commit()
    return note


def accept(s: Session, user: User, finding: Finding) -> Finding:
    """The bureau's supervisor accepts the 整改 of a finding; no note yet → 409."""
    require_roles(user, finding.circular.bureau, *ACCEPTORS)
    _open(finding)
    if not finding.notes:
        raise ServiceError(409, "cir.nothing_to_accept")
    finding.accepted_at, finding.accepted_by = utcnow(), user.id
    audit.record(s, user.username, "circular.accept", f"finding:{finding.id}", None,
                 {"circular": finding.circular_id, "unit": finding.unit.code, "kind": finding.kind,
                  "notes": [n.id for n in finding.notes]})
    s.commit()
    return finding


def rows(s: Session, user: User, circular: Circular, today: date | None = None) -> list[dict]:
    """The findings the user may see, each with its state, due date, notes and whether the user may
    answer or accept it now."""
    today = today or local(utcnow()).date()
    due = due_date(s, circular)
    closed = due is None or withdrawn(circular)
    bureau_roles = roles_in(user, circular.bureau)
    out = []
    for f in findings_for(user, circular):
        st = state(f, due, today)
        out.append({"finding": f, "state": st, "due": due, "notes": list(f.notes),
                    "may_answer": not closed and st != "accepted" and bool(set(ANSWERERS) & roles_in(user, f.unit))
                    and f.unit_id in own_units(user, circular),
                    "may_accept": not closed and st == "answered" and bool(set(ACCEPTORS) & bureau_roles)})
    return out


def tasks(s: Session, user: User, unit: Unit, today: date | None = None) -> list[dict]:
    """待办: a member hospital's findings still to answer (its reviewers and admins), or the bureau's
    answered findings to accept (its supervisors), in live circulars."""
    today = today or local(utcnow()).date()
    held = roles_in(user, unit)
    if unit.parent_id is not None and set(ANSWERERS) & {Role(g.role) for g in user.grants if g.unit_id == unit.id}:
        found = s.scalars(select(Finding).join(Circular).where(Finding.unit_id == unit.id,
                                                                Finding.accepted_at.is_(None))
                          .order_by(Finding.id))
        wanted = ("pending", "overdue")
    elif unit.kind == "bureau" and set(ACCEPTORS) & held:
        found = s.scalars(select(Finding).join(Circular).where(Circular.bureau_id == unit.id,
                                                                Finding.accepted_at.is_(None))
                          .order_by(Finding.id))
        wanted = ("answered",)
    else:
        return []
    out, cal = [], calendar_for(s)   # one calendar read per 工作台, not one per finding
    for f in found:
        c = f.circular
        live = items.live_revision(c.item)
        if live is None:
            continue
        due = due_date(s, c, cal)
        st = state(f, due, today)
        if st in wanted:
            out.append({"finding": f, "circular": c, "state": st, "due": due, "title": live.title})
    return out


def to_json(s: Session, user: User, circular: Circular) -> dict:
    """The circular for the staff API: its item, dates and the findings the caller may see."""
    live = items.live_revision(circular.item)
    rev = live or circular.item.revisions[-1]
    due = due_date(s, circular)
    return {"id": circular.id, "item": circular.item_id, "bureau": circular.bureau.code, "month": circular.month,
            "title": rev.title, "status": rev.status, "withdrawn": withdrawn(circular),
            "published_at": published_at(circular).isoformat() if published_at(circular) else None,
            "rectification_days": circular.rectification_days, "due_date": due.isoformat() if due else None,
            "findings": [finding_json(r) for r in rows(s, user, circular)]}


def finding_json(row: dict) -> dict:
    f = row["finding"]
    return {"id": f.id, "circular": f.circular_id, "unit": f.unit.code, "kind": f.kind, "figure": f.figure,
            "state": row["state"], "due_date": row["due"].isoformat() if row["due"] else None,
            "accepted_at": f.accepted_at.isoformat() if f.accepted_at else None,
            "notes": [{"id": n.id, "text": n.text, "by": n.author.username if n.author else None,
                       "at": n.created_at.isoformat()} for n in row["notes"]]}
