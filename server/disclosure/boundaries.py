"""Background jobs: open scheduled windows and expire ended ones exactly at their boundaries, so
screens change on time (each status change bumps the feed version through server.screens.push); and at
each 先内后外 step the feed version moves too, because a screen receives a revision only once a step
open to it has opened (content/visibility.py), so the feed changes then without any row changing."""
from __future__ import annotations

import threading
import time
from datetime import datetime

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from content import visibility
from content.lifecycle import Action
from content.model import AudiencePlan
from server import db
from server.disclosure.items import system_step
from server.models import Revision, utcnow
from server.screens.models import FeedState
from server.screens.push import bump

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


def _live_plans(s: Session) -> list[AudiencePlan]:
    """The audience plans of live revisions that have a dated step, read once per feed version: a
    live revision's plan never changes, and every revision going live or leaving bumps the version
    (an ended one still listed only costs a harmless extra bump)."""
    version = s.scalar(select(FeedState.version).where(FeedState.id == 1))
    cache = current_app.extensions.setdefault("gongkai.live_plans", {})
    if cache.get("version") != version or version is None:
        plans = []
        for audiences in s.execute(select(Revision.audiences).where(
                Revision.status.in_(["scheduled", "published"]))).scalars():
            try:
                plan = AudiencePlan.from_list(audiences)
            except (ValueError, TypeError):  # unreadable: shown to nobody, so no step matters
                continue
            if any(step.at is not None for step in plan.steps):
                plans.append(plan)
        cache.update(version=version, plans=plans)
    return cache["plans"]


def open_audience_steps(s: Session, now: datetime | None = None) -> bool:
    """Move the feed version if a 先内后外 step opened since it last moved, so screens fetch the
    revisions now open to them (every process may run this: a second bump changes nobody's feed)."""
    now = now or utcnow()
    state = s.get(FeedState, 1)
    since = state.changed_at if state is not None else None
    if not visibility.step_opened_between(_live_plans(s), since, now):
        return False
    bump(s, "audience step opened", devices=False)
    state = s.get(FeedState, 1)
    state.changed_at = max(state.changed_at, now)   # the steps up to `now` are delivered
    s.commit()
    return True


def next_boundary(s: Session, now: datetime) -> datetime | None:
    """The next window start of a scheduled revision, window end of a live one, or 先内后外 step."""
    starts = s.scalar(select(func.min(Revision.window_start)).where(
        Revision.status == "scheduled", Revision.window_start > now))
    ends = s.scalar(select(func.min(Revision.window_end)).where(
        Revision.status.in_(["scheduled", "published"]), Revision.window_end > now))
    steps = visibility.next_step_after(_live_plans(s), now)
    times = [t for t in (starts, ends, steps) if t is not None]
    return min(times) if times else None


def seconds_until_next(s: Session, now: datetime) -> float:
    upcoming = next_boundary(s, now)
    if upcoming is None:
        return MAX_SLEEP_SECONDS
    return max(0.05, min(MAX_SLEEP_SECONDS, (upcoming - now).total_seconds() + 0.01))


def _sleep(bus, stop: threading.Event, seen: int, delay: float) -> None:
    """Until `delay` passes, the stop, or the feed bus moves: any change screens see (a publish here
    or, through the watcher, in another process) may bring a nearer boundary, e.g. a step in seconds."""
    end = time.monotonic() + delay
    while not stop.is_set():
        left = end - time.monotonic()
        if left <= 0 or bus.wait(seen, min(left, 1.0)) != seen:
            return


def start_background_jobs(app) -> threading.Thread:
    """A daemon thread that sleeps until the next boundary (at most 30 s, or until something
    changes), then applies it."""
    stop = threading.Event()
    bus = app.extensions["gongkai.bus"]

    def loop():
        delay = 0.0
        while not stop.is_set():
            seen = bus.tick
            with app.app_context():
                try:
                    s = db.session()
                    apply_time_boundaries(s)
                    open_audience_steps(s)
                    delay = seconds_until_next(s, utcnow())
                except Exception:  # keep the loop alive; the next round retries
                    app.logger.exception("time boundary job failed")
                    delay = MAX_SLEEP_SECONDS
                finally:
                    db.close_session()
            _sleep(bus, stop, seen, delay)

    thread = threading.Thread(target=loop, name="gongkai-jobs", daemon=True)
    thread.stop = stop
    thread.start()
    return thread
