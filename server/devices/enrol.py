"""Enrolment: a screen asks, shows its pairing code, an admin approves, the screen collects its token once."""
from __future__ import annotations

import secrets

from flask import current_app, jsonify, request, url_for
from sqlalchemy import func, select

from server import db
from server.guard import ratelimit
from server.screens.models import DEVICE_KINDS, Device
from server.devices import bp, token_hash
from server.screens.keys import load_keys
from server.screens.codes import new_code
from server.screens.registry import drop_stale_pending
from server.validation import ServiceError

MAX_PENDING = 500


def _screen(data) -> tuple[int, int]:
    screen = data.get("screen") if isinstance(data, dict) else None
    try:
        w, h = int(screen["w"]), int(screen["h"])
    except (TypeError, KeyError, ValueError):
        raise ServiceError(422, "invalid", {"screen": ("required", {})}) from None
    if not (100 <= w <= 8192 and 100 <= h <= 8192):
        raise ServiceError(422, "invalid", {"screen": ("invalid", {})})
    return w, h


@bp.post("/devices/enrol")
def enrol():
    """A screen asks to join; it shows the pairing code until an admin approves it."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError(400, "bad_json")
    if data.get("kind") not in DEVICE_KINDS:
        raise ServiceError(422, "invalid", {"kind": ("invalid", {})})
    w, h = _screen(data)
    cfg = current_app.config
    if not ratelimit.hit("enrol", ratelimit.client(), int(cfg["ENROL_RATE_LIMIT"]), float(cfg["ENROL_RATE_WINDOW"])):
        raise ServiceError(429, "rate_limited")
    s = db.session()
    drop_stale_pending(s)
    if s.scalar(select(func.count()).select_from(Device).where(Device.status == "pending")) >= MAX_PENDING:
        raise ServiceError(429, "too_many_pending")
    device = Device(id=secrets.token_hex(16), kind=data["kind"], screen_w=w, screen_h=h,
                    pairing_code=new_code())
    s.add(device)
    s.commit()
    poll = url_for("devices.enrol_status", device_id=device.id)
    return jsonify({"device_id": device.id, "pairing_code": device.pairing_code, "poll": poll}), 201


@bp.get("/devices/enrol/<device_id>")
def enrol_status(device_id: str):
    """202 while pending; the token and the feed's public key exactly once after approval."""
    s = db.session()
    device = s.get(Device, device_id)
    if device is None:
        raise ServiceError(404, "not_found")
    if device.status == "pending":
        return jsonify({"status": "pending", "pairing_code": device.pairing_code}), 202
    if device.status != "active" or device.token_collected:
        raise ServiceError(410, "token_collected")
    token = secrets.token_urlsafe(32)
    device.token_hash = token_hash(token)
    device.token_collected = True
    s.commit()
    _, public_key = load_keys(current_app.instance_path)
    return jsonify({"token": token, "public_key": public_key}), 200
