"""Screen administration for staff with the admin role of the screen's unit (DESIGN.md §3)."""
from __future__ import annotations

import os
from datetime import timedelta

from flask import current_app, jsonify, request, send_file, session
from sqlalchemy import select

from content.model import Audience, Role
from server import audit, db
from server.auth import load_user, roles_in, units_of
from server.device_models import Device, DeviceCommand
from server.devices import bp
from server.devices.enrol import new_code
from server.models import Unit, User, utcnow
from server.validation import ServiceError

COMMANDS = ("reload", "screenshot", "identify")
OFFLINE_AFTER = timedelta(seconds=180)  # three missed 60-second heartbeats


def _staff() -> User:
    user = load_user(db.session(), request, session)
    if user is None:
        raise ServiceError(401, "unauthorized")
    return user


def admin_units(user: User) -> list[Unit]:
    return [u for u in units_of(db.session(), user) if Role.ADMIN in roles_in(user, u)]


def _device_for_admin(user: User, device_id: str) -> Device:
    """The device if the caller administers its unit (or it is pending and they administer any)."""
    device = db.session().get(Device, device_id)
    units = admin_units(user)
    if device is None or not units:
        raise ServiceError(404, "not_found")
    if device.unit_id is not None and device.unit_id not in {u.id for u in units}:
        raise ServiceError(404, "not_found")
    return device


def device_json(device: Device, current_version: int | None = None) -> dict:
    online = device.last_seen is not None and utcnow() - device.last_seen < OFFLINE_AFTER
    return {"device_id": device.id, "kind": device.kind, "status": device.status,
            "pairing_code": device.pairing_code if device.status == "pending" else None,
            "name": device.name, "location": device.location, "audiences": device.audiences,
            "groups": device.groups, "orientation": device.orientation,
            "screen_code": device.screen_code, "unit": device.unit.code if device.unit else None,
            "screen": {"w": device.screen_w, "h": device.screen_h},
            "last_seen": device.last_seen.isoformat() if device.last_seen else None,
            "online": online, "shown_version": device.shown_version, "health": device.health,
            "screenshot_at": device.screenshot_at.isoformat() if device.screenshot_at else None}


@bp.get("/devices")
def list_devices():
    """Screens of the units the caller administers, plus screens waiting for approval."""
    user = _staff()
    unit_ids = {u.id for u in admin_units(user)}
    if not unit_ids:
        raise ServiceError(403, "forbidden")
    rows = db.session().scalars(select(Device).order_by(Device.created_at)).all()
    return jsonify([device_json(d) for d in rows if d.unit_id in unit_ids or d.status == "pending"])


def _settings(data: dict, errors: dict) -> dict:
    out = {}
    for name in ("name", "location"):
        if name in data:
            value = data[name]
            if not isinstance(value, str) or len(value) > 100:
                errors[name] = ("too_long", {"max": 100})
            else:
                out[name] = value.strip()
    if "audiences" in data:
        try:
            audiences = Audience.parse_many(data["audiences"])
            if not audiences:
                raise ValueError
            out["audiences"] = sorted(a.value for a in audiences)
        except (ValueError, TypeError):
            errors["audiences"] = ("bad_audiences", {})
    if "groups" in data:
        groups = data["groups"]
        if not isinstance(groups, list) or not all(isinstance(g, str) and 0 < len(g) <= 40 for g in groups):
            errors["groups"] = ("invalid", {})
        else:
            out["groups"] = sorted(set(groups))
    if "orientation" in data:
        if data["orientation"] not in ("auto", "portrait", "landscape"):
            errors["orientation"] = ("invalid", {})
        else:
            out["orientation"] = data["orientation"]
    return out


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and request.form:
        data = request.form.to_dict()
    if not isinstance(data, dict):
        raise ServiceError(400, "bad_json")
    return data


@bp.post("/devices/<device_id>/approve")
def approve(device_id: str):
    """Admit a pending screen into the caller's unit with name, location, audiences, groups."""
    user = _staff()
    device = _device_for_admin(user, device_id)
    data = _body()
    if device.status != "pending":
        raise ServiceError(409, "bad_state")
    units = admin_units(user)
    unit = next((u for u in units if u.code == data.get("unit")), units[0] if "unit" not in data else None)
    errors = {} if unit else {"unit": ("forbidden", {})}
    settings = _settings(data, errors)
    if "audiences" not in settings and "audiences" not in errors:
        errors["audiences"] = ("required", {})
    if errors:
        raise ServiceError(422, "invalid", errors)
    s = db.session()
    for name, value in settings.items():
        setattr(device, name, value)
    device.unit, device.status, device.updated_at = unit, "active", utcnow()
    device.screen_code = device.screen_code or _screen_code(s)
    audit.record(s, user.username, "device.approve", f"device:{device.id}", None, device_json(device))
    s.commit()
    return jsonify(device_json(device))


def _screen_code(s) -> str:
    while True:
        code = "S" + new_code(5)
        if s.scalar(select(Device.id).where(Device.screen_code == code)) is None:
            return code


@bp.patch("/devices/<device_id>")
def update(device_id: str):
    """Change an approved screen's name, location, audiences, groups or orientation."""
    user = _staff()
    device = _device_for_admin(user, device_id)
    errors: dict = {}
    settings = _settings(_body(), errors)
    if errors:
        raise ServiceError(422, "invalid", errors)
    before = device_json(device)
    for name, value in settings.items():
        setattr(device, name, value)
    device.updated_at = utcnow()
    s = db.session()
    audit.record(s, user.username, "device.update", f"device:{device.id}", before, device_json(device))
    s.commit()
    return jsonify(device_json(device))


@bp.post("/devices/<device_id>/revoke")
def revoke(device_id: str):
    """Cut a screen off: its token stops working at once; it may enrol again."""
    user = _staff()
    device = _device_for_admin(user, device_id)
    device.status, device.token_hash, device.updated_at = "revoked", None, utcnow()
    s = db.session()
    audit.record(s, user.username, "device.revoke", f"device:{device.id}", None, {"status": "revoked"})
    s.commit()
    return jsonify(device_json(device))


@bp.post("/devices/<device_id>/commands")
def command(device_id: str):
    """Queue reload / screenshot / identify; it goes down the device's event stream."""
    user = _staff()
    device = _device_for_admin(user, device_id)
    name = _body().get("name")
    if name not in COMMANDS:
        raise ServiceError(422, "invalid", {"name": ("unknown_action", {})})
    if device.status != "active":
        raise ServiceError(409, "bad_state")
    s = db.session()
    s.add(DeviceCommand(device_id=device.id, name=name))
    audit.record(s, user.username, f"device.command.{name}", f"device:{device.id}", None, None)
    s.commit()
    return jsonify({"queued": name}), 202


@bp.get("/devices/<device_id>/screenshot")
def screenshot(device_id: str):
    """The latest PNG the screen uploaded (404 if none)."""
    device = _device_for_admin(_staff(), device_id)
    path = os.path.join(current_app.config["MEDIA_DIR"], device.screenshot_sha or "-")
    if not device.screenshot_sha or not os.path.exists(path):
        raise ServiceError(404, "not_found")
    return send_file(path, mimetype="image/png", max_age=0)
