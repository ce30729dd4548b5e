"""Background threads every server process runs beside the web app.

Each entry is "module:function" taking the app and starting a daemon thread; features add their
own line here instead of editing the run commands.
"""
from __future__ import annotations

from importlib import import_module

SERVICES = (
    "server.jobs:start_background_jobs",
    "server.push:start_watcher",
    "server.sla_jobs:start_digest_job",
    "server.ingest:start_ingest",
    "server.retention:start_retention",
)


def start_services(app) -> None:
    """Start every background service for this process."""
    for spec in SERVICES:
        module, name = spec.split(":")
        getattr(import_module(module), name)(app)
