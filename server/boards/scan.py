"""What the phone page says about a scanned print (/f/<code>?item=<id>&v=<n>): whether the paper's
revision `n` is still the current one. Only what the public may see now is said (server/disclosure/
exposure.py): the current revision's title and date when it is public; "withdrawn", with the published
撤销说明 if that is public, only for a revision that was itself public once. Anything else — a bad
or unknown `v`, another unit's item, an item never public — says nothing, as if no `v` were given."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.model import Status
from content.visibility import PUBLIC_AUDIENCES
from server.disclosure.exposure import plan_of, public_revision
from server.disclosure.items import NOTICE_TITLES
from server.guard.bounds import as_id
from server.models import Item, Unit
from server.workdays import local

PRINTED = frozenset({Status.SCHEDULED.value, Status.PUBLISHED.value, Status.SUPERSEDED.value, Status.WITHDRAWN.value,
                     Status.EXPIRED.value})   # a revision that is or was live: one a print can carry
WITHDRAWAL_NOTICE = NOTICE_TITLES["withdraw"].split("{")[0]   # 撤销说明：


def _was_public(rev) -> bool:
    """The revision was published with a step open to patients or the public."""
    return rev.published_at is not None and bool(plan_of(rev).all() & PUBLIC_AUDIENCES)


def paper_state(s: Session, unit: Unit, item_id, v) -> dict | None:
    """{"state": "current" | "newer" | "withdrawn" | "ended", ...} for the paper, or None."""
    number, item_id = as_id(v), as_id(item_id)
    item = s.get(Item, item_id) if item_id and number else None
    if item is None or item.unit_id != unit.id:
        return None
    paper = next((r for r in item.revisions if r.number == number), None)
    if paper is None or paper.status not in PRINTED:
        return None
    current = public_revision(item)
    if current is not None:
        if current.number == number:
            return {"state": "current", "number": number}
        if current.number > number:
            return {"state": "newer", "number": number, "current": current.number, "title": current.title,
                    "date": local(current.published_at).date() if current.published_at else None}
        return None
    if not _was_public(paper):
        return None
    if paper.status == Status.WITHDRAWN.value or item.revisions[-1].status == Status.WITHDRAWN.value:
        notices = s.scalars(select(Item).where(Item.related_item_id == item.id, Item.kind == "notice")
                            .order_by(Item.id.desc()))
        shown = next((rev for n in notices if (rev := public_revision(n)) is not None
                      and rev.title.startswith(WITHDRAWAL_NOTICE)), None)
        return {"state": "withdrawn", "number": number, "reason": shown.reason if shown is not None else ""}
    return {"state": "ended", "number": number}
