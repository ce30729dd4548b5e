"""Device protocol (docs/architecture.md, device protocol): what screens call with their own token.

enrol.py — enrol and collect the token; feed.py — GET /feed and GET /events (push);
report.py — heartbeats, batches and screenshots from devices; media.py — GET /media/<sha256> (its own
blueprint: staff and devices). Staff administration of screens is in server/api/screens.py.
"""
from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, g, request
from server import db
from server.screens.device_info import DeviceInfo, by_token_hash
from server.screens.models import Device
from server.screens.push import current_mark
from server.models import utcnow
from server.validation import ServiceError
from server.workdays import local

bp = Blueprint("devices", __name__, url_prefix="/api/v1")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_device() -> DeviceInfo:
    """The active device behind the bearer token; 401 for anything else. Sets g.mark."""
    header = request.headers.get("Authorization", "")
    device = None
    if header.startswith("Bearer ") and len(header) < 200:
        s = db.session()
        g.mark = current_app.extensions["gongkai.bus"].fresh_mark() or current_mark(s)
        device = by_token_hash(s, token_hash(header[7:].strip()), g.mark.device_epoch)
    if device is None or device.status != "active":
        raise ServiceError(401, "unauthorized")
    g.device = device
    return device


@bp.after_request
def _server_time(resp):
    """Every device answer says the server's time to the millisecond: screens measure their clock
    offset from it (the manifest's server_time is when it was signed, which may be long ago)."""
    resp.headers["Server-Time"] = local(utcnow()).isoformat(timespec="milliseconds")
    return resp


def device_row(info: DeviceInfo) -> Device:
    """The stored row of an authenticated device, for the calls that change it."""
    return db.session().get(Device, info.id)


from server.devices import enrol, feed, report  # noqa: E402,F401  (routes register on bp)
