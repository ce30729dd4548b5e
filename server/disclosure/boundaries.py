"""Background jobs: open scheduled windows and expire ended ones exactly at their boundaries, so
screens change on time (each status change bumps the feed version through server.screens.push)."""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from content.lifecycle import Action
from server import db
from server.disclosure.items import system_step
from server.models import Revision, utcnow

MAX_SLEEP_SECONDS = 30.0


def apply_time_boundaries(s: Session, now: datetime | None = None) -> int:
    """Open scheduled revisions whose window started, expire live ones whose window ended."""
    now = now or utcnow()
    changed = 0
    due = s.scalars(select(Revision).where(or_(
        (Revision.status == "scheduled") & (Revision.window_start <= now),
        Revision.status.in_(["scheduled", "published"]) & (Revision.window_end <= now)))).all()
    for rev in due:
        ended = rev.window_end is not None and rev.window_end <= now
        system_step(s, rev, Action.EXPIRE if ended else Action.OPEN, now)
        changed += 1
    s.commit()
    return changed


def next_boundary(s: Session, now: datetime) -> datetime | None:
    """The next window start of a scheduled revision or window end of a live one."""
    starts = s.scalar(select(func.min(Revision.window_start)).where(
        Revision.status == "scheduled", Revision.window_start > now))
    ends = s.scalar(select(func.min(Revision.window_end)).where(
        Revision.status.in_(["scheduled", "published"]), Revision.window_end > now))
    times = [t for t in (starts, ends) if t is not None]
    return min(times) if times else None


def seconds_until_next(s: Session, now: datetime) -> float:
    upcoming = next_boundary(s, now)
    if upcoming is None:
        return MAX_SLEEP_SECONDS
    return max(0.05, min(MAX_SLEEP_SECONDS, (upcoming - now).total_seconds() + 0.01))


def start_background_jobs(app) -> threading.Thread:
    """A daemon thread that sleeps until the next boundary (at most 30 s), then applies it."""
    stop = threading.Event()

    def loop():
        delay = 0.0
        while not stop.wait(delay):
            with app.app_context():
                try:
                    s = db.session()
                    apply_time_boundaries(s)
                    delay = seconds_until_next(s, utcnow())
                except Exception:  # keep the loop alive; the next round retries
                    app.logger.exception("time boundary job failed")
                    delay = MAX_SLEEP_SECONDS
                finally:
                    db.close_session()

    thread = threading.Thread(target=loop, name="gongkai-jobs", daemon=True)
    thread.stop = stop
    thread.start()
    return thread
