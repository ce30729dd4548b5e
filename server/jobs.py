"""Background jobs: open scheduled windows and expire ended ones, so screens change on time."""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from content.lifecycle import Action
from server import db
from server.items import system_step
from server.models import Revision, utcnow

INTERVAL_SECONDS = 30


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


def start_background_jobs(app) -> threading.Thread:
    """A daemon thread running the boundary job every INTERVAL_SECONDS."""
    stop = threading.Event()

    def loop():
        while not stop.wait(INTERVAL_SECONDS):
            with app.app_context():
                try:
                    apply_time_boundaries(db.session())
                except Exception:  # keep the loop alive; the next round retries
                    app.logger.exception("time boundary job failed")

    thread = threading.Thread(target=loop, name="gongkai-jobs", daemon=True)
    thread.stop = stop
    thread.start()
    return thread
