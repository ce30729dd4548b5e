"""One stored row never breaks a feed, a dashboard or a page. Rows are probed before use (every time
moved into local time, the audience plan, table and signage shapes — what building a feed or a page
does with them); a row that fails is skipped where it was read, logged, and flagged for staff in
table data_problem, which 公开监督 lists. Bad values should never get in (server/guard/bounds.py), but a
restore, a hand edit or an older version may have put one there.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.model import AudiencePlan
from server.models import DataProblem, Revision, utcnow
from server.workdays import local

log = logging.getLogger("gongkai.isolation")
SHOWN_DAYS = 7        # 公开监督 lists problems seen within this many days
TIMES = ("window_start", "window_end", "published_at", "created_at", "updated_at")


def probe_revision(rev: Revision) -> None:
    """Raise if the revision cannot be shown: a time that overflows local time, an unreadable
    audience plan, a table or signage block of the wrong shape."""
    for name in TIMES:
        when = getattr(rev, name)
        if when is not None:
            local(when).isoformat()
    if rev.audiences:
        AudiencePlan.from_list(rev.audiences)
    if rev.table is not None:
        if not isinstance(rev.table, dict) or not isinstance(rev.table.get("columns", []), list) \
                or not all(isinstance(r, list) for r in rev.table.get("rows", [])):
            raise ValueError("table is not {columns, rows}")
    if rev.signage is not None and not isinstance(rev.signage, dict):
        raise ValueError("signage settings are not an object")
    if not isinstance(rev.title, str) or not isinstance(rev.body or "", str):
        raise ValueError("title or body is not text")


def sound_revisions(revisions, place: str) -> list[Revision]:
    """The revisions that pass the probe; the others are flagged (logged, listed for staff)."""
    out = []
    for rev in revisions:
        try:
            probe_revision(rev)
        except Exception as exc:  # noqa: BLE001 — whatever a bad row raises, it is skipped
            flag(f"item:{rev.item_id}/r{rev.number}", rev.item.unit_id if rev.item else None, place, exc)
        else:
            out.append(rev)
    return out


def flag(target: str, unit_id: int | None, place: str, exc: Exception) -> None:
    """Log the problem and note it in data_problem (its own transaction, so it stays even when the
    caller's rolls back, and never disturbs it)."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    log.warning("skipped %s in %s: %s", target, place, detail)
    now = utcnow()
    try:
        with current_app.extensions["gongkai.engine"].begin() as conn:
            done = conn.execute(update(DataProblem).where(DataProblem.target == target, DataProblem.place == place)
                                .values(last_at=now, detail=detail)).rowcount
            if not done:
                conn.execute(insert(DataProblem).values(target=target, unit_id=unit_id, place=place,
                                                        detail=detail, first_at=now, last_at=now))
    except IntegrityError:
        pass                # another process noted the same problem at the same moment


def problems(s: Session, unit_id: int) -> list[DataProblem]:
    """The unit's data problems seen within SHOWN_DAYS, newest first."""
    since = utcnow() - timedelta(days=SHOWN_DAYS)
    return list(s.scalars(select(DataProblem).where(DataProblem.unit_id == unit_id, DataProblem.last_at >= since)
                          .order_by(DataProblem.last_at.desc()).limit(200)))


def resolved(s: Session, target: str) -> None:
    """Forget a target's problems once it reads cleanly again (e.g. after it was edited)."""
    s.execute(delete(DataProblem).where(DataProblem.target == target))
