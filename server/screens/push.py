"""Push: the feed version bumps inside the transaction that changes what screens show, and every
event stream in every process wakes within a second.

One mechanism for all changes: a before_flush hook looks at what the session is about to write
(live revisions, categories, units, device settings) and bumps FeedState in the same flush. Changes
to devices or units also move `device_epoch`, so cached device details stay valid across ordinary
publishing. After commit the in-process bus wakes the streams at once; a watcher thread per
process polls the state cheaply so changes made by other processes (or the scheduler) arrive too.
"""
from __future__ import annotations

import threading
import time
from typing import NamedTuple

from sqlalchemy import event, inspect, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from content.model import LIVE_STATUSES
from server.screens.models import Device, DeviceCommand, FeedState
from server.models import Category, Revision, Unit, utcnow
from server.screens.models import ScreenGroup, SignageAlert, SignageRule

LIVE = {s.value for s in LIVE_STATUSES}
DEVICE_FIELDS = ("status", "audiences", "groups", "name", "location", "unit_id", "screen_code",
                 "orientation", "token_hash")
WATCH_SECONDS = 0.1      # SQLite: how often each process checks the feed state
TRUST_SECONDS = 2.0      # a mark the watcher confirmed this recently serves device requests
LISTEN_SECONDS = 1.0     # PostgreSQL: NOTIFY wakes at once; check anyway this often
CHANNEL = "gongkai_feed"


class Mark(NamedTuple):
    """Where the feed stands: content version, and the epoch of device and unit details."""

    version: int
    device_epoch: int


class Bus:
    """Wakes waiting streams. `mark`: the newest feed mark seen; `commands`: counts queued
    commands; `tick`: counts every wake-up; `confirmed`: when the watcher last read the stored mark."""

    def __init__(self):
        self._cond = threading.Condition()
        self.mark = Mark(0, 0)
        self.commands = 0
        self.tick = 0
        self.confirmed = float("-inf")

    def fresh_mark(self, max_age: float = TRUST_SECONDS) -> Mark | None:
        """The mark, if a running watcher confirmed it against the database within `max_age`
        (then device requests need no query of their own); None otherwise."""
        return self.mark if time.monotonic() - self.confirmed <= max_age else None

    def notify(self, mark: Mark) -> None:
        with self._cond:
            if mark.version > self.mark.version:
                self.mark = mark
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


_MARK_SQL = text("SELECT version, device_epoch FROM feed_state WHERE id = 1")


def current_mark(s: Session) -> Mark:
    """The feed state as stored (one tiny prepared query: it runs on every device request)."""
    row = s.execute(_MARK_SQL).first()
    return Mark(row[0], row[1]) if row else Mark(0, 0)


def bump(s: Session, reason: str, devices: bool) -> None:
    """Move the feed version on in this transaction (once per flush). The database adds one to the
    stored value (UPDATE … SET version = version + 1): two transactions bumping at once get two
    versions, where reading the row and writing back `read + 1` let the later one overwrite the
    earlier, and a feed cached for that version could miss the later change."""
    now, table = utcnow(), FeedState.__table__
    row = s.execute(update(table).where(table.c.id == 1).values(
        version=table.c.version + 1, device_epoch=table.c.device_epoch + (1 if devices else 0),
        changed_at=now, reason=reason[:200]).returning(table.c.version, table.c.device_epoch)).first()
    if row is None:
        state = FeedState(id=1, version=1, device_epoch=1 if devices else 0, changed_at=now, reason=reason[:200])
        s.add(state)
        mark = Mark(1, state.device_epoch)
    else:
        mark = Mark(row[0], row[1])
        loaded = s.identity_map.get(identity_key(FeedState, 1))
        if loaded is not None:   # keep a FeedState this session holds in step, without making it dirty
            for name, value in (("version", mark.version), ("device_epoch", mark.device_epoch),
                                ("changed_at", now), ("reason", reason[:200])):
                set_committed_value(loaded, name, value)
    s.info["feed_bumped"] = mark
    _notify_other_processes(s)


def _notify_other_processes(s: Session) -> None:
    """On PostgreSQL, NOTIFY (delivered at commit) wakes the other processes' watchers at once."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text(f"NOTIFY {CHANNEL}"))


def _changed(obj, names) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _affects_screens(s: Session) -> tuple[str | None, bool]:
    """Why screens must hear of this flush (None if they need not), and whether devices changed."""
    reason, devices = None, False
    for obj in list(s.new) + list(s.dirty) + list(s.deleted):
        if isinstance(obj, Revision):
            old = inspect(obj).attrs.status.history.deleted
            if obj.status in LIVE or any(v in LIVE for v in old):
                reason = reason or f"revision {obj.item_id}/{obj.number} {obj.status}"
        elif isinstance(obj, Category):
            reason = reason or "catalog changed"
        elif isinstance(obj, (SignageRule, ScreenGroup, SignageAlert)):
            reason = reason or f"signage {type(obj).__name__.lower()} changed"
        elif isinstance(obj, Unit) or (isinstance(obj, Device) and (
                obj in s.new or obj in s.deleted or _changed(obj, DEVICE_FIELDS))):
            reason, devices = reason or f"{type(obj).__name__.lower()} changed", True
        elif isinstance(obj, DeviceCommand) and obj in s.new:
            if not s.info.get("command_added"):
                with s.no_autoflush:
                    _notify_other_processes(s)
            s.info["command_added"] = True
    return reason, devices


def install(sessions, bus: Bus) -> None:
    """Hook the session factory so screen-visible changes bump the version and wake the bus."""

    @event.listens_for(sessions, "before_flush")
    def _before_flush(s, _ctx, _instances):
        reason, devices = _affects_screens(s)
        bumped = s.info.get("feed_bumped")
        if reason and (bumped is None or devices):
            with s.no_autoflush:
                bump(s, reason, devices)

    @event.listens_for(sessions, "after_commit")
    def _after_commit(s):
        bumped = s.info.pop("feed_bumped", None)
        commanded = s.info.pop("command_added", False)
        if bumped:
            bus.notify(bumped)
        if commanded:
            bus.notify_commands()

    @event.listens_for(sessions, "after_rollback")
    def _after_rollback(s):
        s.info.pop("feed_bumped", None)
        s.info.pop("command_added", None)


def start_watcher(app) -> threading.Thread:
    """Follow the feed state (and new commands) in the database, so other processes' changes
    arrive: LISTEN/NOTIFY on PostgreSQL, a cheap poll on SQLite."""
    bus: Bus = app.extensions["gongkai.bus"]
    sessions = app.extensions["gongkai.sessions"]
    engine = app.extensions["gongkai.engine"]
    stop = threading.Event()
    last_command = [0]

    def check():
        with sessions() as s:
            mark = current_mark(s)
            newest = s.scalar(select(DeviceCommand.id).order_by(DeviceCommand.id.desc()).limit(1)) or 0
        if newest != last_command[0]:
            last_command[0] = newest
            bus.notify_commands()
        if mark.version > bus.mark.version:
            bus.notify(mark)
        bus.confirmed = time.monotonic()

    def poll():
        while not stop.wait(WATCH_SECONDS):
            try:
                check()
            except Exception:  # the database may be busy; try again next round
                app.logger.exception("feed watcher failed")

    def listen():
        import psycopg
        while not stop.is_set():
            try:
                url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not stop.is_set():
                        check()
                        for _ in conn.notifies(timeout=LISTEN_SECONDS, stop_after=1):
                            pass
            except Exception:  # connection lost: reconnect after a pause
                app.logger.exception("feed listener failed")
                stop.wait(LISTEN_SECONDS)

    target = listen if engine.dialect.name == "postgresql" else poll
    thread = threading.Thread(target=target, name="gongkai-feed-watcher", daemon=True)
    thread.stop = stop
    thread.start()
    return thread
