"""Push: the feed version bumps inside the transaction that changes what screens show, and every
event stream in every process wakes within a second.

One mechanism for all changes: a before_flush hook looks at what the session is about to write
(live revisions, categories, units, device settings) and bumps FeedState in the same flush. After
commit the in-process bus wakes the streams at once; a watcher thread per process polls the
version cheaply so changes made by other processes (or the scheduler) arrive too.
"""
from __future__ import annotations

import threading

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from content.model import LIVE_STATUSES
from server.device_models import Device, DeviceCommand, FeedState
from server.models import Category, Revision, Unit, utcnow

LIVE = {s.value for s in LIVE_STATUSES}
DEVICE_FIELDS = ("status", "audiences", "groups", "name", "location", "unit_id", "screen_code",
                 "orientation")
WATCH_SECONDS = 0.5


class Bus:
    """Wakes waiting streams. `version`: the newest feed version seen; `commands`: counts queued
    commands; `tick`: counts every wake-up."""

    def __init__(self):
        self._cond = threading.Condition()
        self.version = 0
        self.commands = 0
        self.tick = 0

    def notify(self, version: int | None = None) -> None:
        with self._cond:
            if version is not None and version > self.version:
                self.version = version
            self.tick += 1
            self._cond.notify_all()

    def notify_commands(self) -> None:
        with self._cond:
            self.commands += 1
            self.tick += 1
            self._cond.notify_all()

    def wait(self, seen_tick: int, timeout: float) -> int:
        """Block until the tick moves past `seen_tick` or the timeout; return the tick."""
        with self._cond:
            self._cond.wait_for(lambda: self.tick != seen_tick, timeout)
            return self.tick


def current_version(s: Session) -> int:
    state = s.get(FeedState, 1)
    return state.version if state else 0


def bump(s: Session, reason: str) -> None:
    """Move the feed version on in this transaction (once per flush)."""
    state = s.get(FeedState, 1)
    if state is None:
        state = FeedState(id=1, version=1, reason=reason)
        s.add(state)
    state.version = (state.version or 0) + 1
    state.changed_at = utcnow()
    state.reason = reason[:200]
    s.info["feed_bumped"] = state.version


def _changed(obj, names) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _affects_screens(s: Session) -> str | None:
    for obj in list(s.new) + list(s.dirty) + list(s.deleted):
        if isinstance(obj, Revision):
            old = inspect(obj).attrs.status.history.deleted
            if obj.status in LIVE or any(v in LIVE for v in old):
                return f"revision {obj.item_id}/{obj.number} {obj.status}"
        elif isinstance(obj, (Category, Unit)):
            return f"{type(obj).__name__.lower()} changed"
        elif isinstance(obj, Device) and (obj in s.new or obj in s.deleted or _changed(obj, DEVICE_FIELDS)):
            return f"device {obj.id} changed"
        elif isinstance(obj, DeviceCommand) and obj in s.new:
            s.info["command_added"] = True
    return None


def install(sessions, bus: Bus) -> None:
    """Hook the session factory so screen-visible changes bump the version and wake the bus."""

    @event.listens_for(sessions, "before_flush")
    def _before_flush(s, _ctx, _instances):
        reason = _affects_screens(s)
        if reason and not s.info.get("feed_bumped"):
            with s.no_autoflush:
                bump(s, reason)

    @event.listens_for(sessions, "after_commit")
    def _after_commit(s):
        bumped = s.info.pop("feed_bumped", None)
        commanded = s.info.pop("command_added", False)
        if bumped:
            bus.notify(bumped)
        elif commanded:
            bus.notify_commands()

    @event.listens_for(sessions, "after_rollback")
    def _after_rollback(s):
        s.info.pop("feed_bumped", None)
        s.info.pop("command_added", None)


def start_watcher(app) -> threading.Thread:
    """Poll the version (and new commands) from the database so other processes' changes arrive."""
    bus: Bus = app.extensions["gongkai.bus"]
    sessions = app.extensions["gongkai.sessions"]
    stop = threading.Event()

    def loop():
        last_command = 0
        while not stop.wait(WATCH_SECONDS):
            try:
                with sessions() as s:
                    version = current_version(s)
                    newest = s.scalar(select(DeviceCommand.id).order_by(DeviceCommand.id.desc()).limit(1)) or 0
                if newest != last_command:
                    last_command = newest
                    bus.notify_commands()
                if version > bus.version:
                    bus.notify(version)
            except Exception:  # the database may be busy; try again next round
                app.logger.exception("feed watcher failed")

    thread = threading.Thread(target=loop, name="gongkai-feed-watcher", daemon=True)
    thread.stop = stop
    thread.start()
    return thread
