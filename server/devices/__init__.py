"""Device protocol (DESIGN.md §3): enrolment, signed feed, event stream, reports, screen admin.

enrol.py — enrol and collect the token; feed.py — GET /feed and GET /events (push);
report.py — heartbeats, batches and screenshots from devices; admin.py — staff screen administration.
"""
from __future__ import annotations

import hashlib

from flask import Blueprint, g, request
from sqlalchemy import select

from server import db
from server.device_models import Device
from server.validation import ServiceError

bp = Blueprint("devices", __name__, url_prefix="/api/v1")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_device() -> Device:
    """The active device behind the bearer token; 401 for anything else."""
    header = request.headers.get("Authorization", "")
    device = None
    if header.startswith("Bearer ") and len(header) < 200:
        device = db.session().scalar(select(Device).where(Device.token_hash == token_hash(header[7:].strip())))
    if device is None or device.status != "active":
        raise ServiceError(401, "unauthorized")
    g.device = device
    return device


from server.devices import admin, enrol, feed, report  # noqa: E402,F401  (routes register on bp)
