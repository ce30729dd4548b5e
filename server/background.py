"""Background threads every server process runs beside the web app.

Each entry is "module:function" taking the app and starting a daemon thread; features add their
own line here instead of editing the run commands.
"""
from __future__ import annotations

import threading
from importlib import import_module

SERVICES = (
    "server.disclosure.boundaries:start_background_jobs",
    "server.screens.push:start_watcher",
    "server.screens.device_feed:start_sweep",
    "server.hearing.sla_jobs:start_digest_job",
    "server.ingest.process:start_ingest",
    "server.hearing.retention:start_retention",
)


def start_services(app) -> None:
    """Start every background service for this process, which from now on holds the instance
    (server/records/instance_lock.py: restore refuses an instance in use)."""
    from server.records.instance_lock import hold_shared
    hold_shared(app.instance_path)
    for spec in SERVICES:
        module, name = spec.split(":")
        getattr(import_module(module), name)(app)


def start_periodic(app, name: str, work, every: float, first: float | None = None) -> threading.Thread:
    """A daemon thread that runs `work()` in an app context every `every` seconds (the first time
    after `first`, default `every`); a failure is logged and the next round tries again. The
    thread's `stop` event ends it."""
    from server import db
    stop = threading.Event()

    def loop():
        delay = every if first is None else first
        while not stop.wait(delay):
            delay = every
            with app.app_context():
                try:
                    work()
                except Exception:  # keep the loop alive; the next round retries
                    app.logger.exception("%s failed", name)
                finally:
                    db.close_session()

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.stop = stop
    thread.start()
    return thread
