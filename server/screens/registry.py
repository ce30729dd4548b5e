"""屏幕管理: approve, edit, revoke and command enrolled screens (docs/architecture.md, device protocol), for staff with the
admin role of the screen's unit. Called by the JSON API (devices/admin.py) and the HTML UI
(admin/views_screens.py); every refusal is a ServiceError, every change goes to the audit log."""
from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, object_session

from content.model import Audience, Role
from server import audit
from server.auth import roles_in, units_of
from server.screens.device_info import by_id
from server.screens.models import Device, DeviceCommand
from server.screens.codes import new_code
from server.screens.device_feed import build_device_feed
from server.models import Unit, User, utcnow
from server.screens.push import current_mark
from server.validation import ServiceError

COMMANDS = ("reload", "screenshot", "identify")
ORIENTATIONS = ("auto", "portrait", "landscape")
OFFLINE_AFTER = timedelta(seconds=180)  # three missed 60-second heartbeats
MAX_TEXT = 100
MAX_GROUP = 40


def admin_units(s: Session, user: User) -> list[Unit]:
    """The units in which `user` holds the admin role."""
    return [u for u in units_of(s, user) if Role.ADMIN in roles_in(user, u)]


def device_for_admin(s: Session, user: User, device_id: str) -> Device:
    """The device if the caller administers its unit (or it is pending and they administer any)."""
    device = s.get(Device, device_id)
    units = admin_units(s, user)
    if device is None or not units:
        raise ServiceError(404, "not_found")
    if device.unit_id is not None and device.unit_id not in {u.id for u in units}:
        raise ServiceError(404, "not_found")
    return device


PENDING_HOURS = 24     # a pending screen not approved within a day is dropped (it enrols again)


def drop_stale_pending(s: Session) -> None:
    """Forget pending screens older than PENDING_HOURS (called on every enrolment and listing)."""
    s.execute(delete(Device).where(Device.status == "pending",
                                   Device.created_at < utcnow() - timedelta(hours=PENDING_HOURS)))


def clear_pending(s: Session, user: User, device_id: str | None = None) -> int:
    """拒绝/清除: drop one pending screen, or all of them (any unit's admin; a flood of enrolments
    must not keep real screens out). Returns how many went."""
    if not admin_units(s, user):
        raise ServiceError(403, "role_missing")
    q = select(Device).where(Device.status == "pending")
    if device_id is not None:
        q = q.where(Device.id == device_id)
    gone = s.scalars(q).all()
    if device_id is not None and not gone:
        raise ServiceError(404, "not_found")
    for device in gone:
        s.delete(device)
    audit.record(s, user.username, "device.clear_pending", f"device:{device_id or '*'}", None, {"removed": len(gone)})
    s.commit()
    return len(gone)


def is_online(device: Device) -> bool:
    return device.last_seen is not None and utcnow() - device.last_seen < OFFLINE_AFTER


def up_to_date(device: Device) -> bool | None:
    """Whether the screen shows what it would be sent now: the ETag it reported in its last
    heartbeat against its current feed's (None when it has not reported one)."""
    shown = (device.health or {}).get("shown_etag")
    if device.status != "active" or not shown:
        return None
    s = object_session(device)
    mark = current_mark(s)
    info = by_id(s, device.id, mark.device_epoch)
    return info is not None and build_device_feed(s, info, mark).etag == shown


def device_json(device: Device) -> dict:
    """A screen as the JSON API and the audit log show it."""
    return {"device_id": device.id, "kind": device.kind, "status": device.status,
            "pairing_code": device.pairing_code if device.status == "pending" else None,
            "name": device.name, "location": device.location, "audiences": device.audiences,
            "groups": device.groups, "orientation": device.orientation,
            "screen_code": device.screen_code, "unit": device.unit.code if device.unit else None,
            "screen": {"w": device.screen_w, "h": device.screen_h},
            "last_seen": device.last_seen.isoformat() if device.last_seen else None,
            "online": is_online(device), "shown_version": device.shown_version,
            "up_to_date": up_to_date(device), "health": device.health,
            "screenshot_at": device.screenshot_at.isoformat() if device.screenshot_at else None}


def list_for_admin(s: Session, user: User, unit: Unit | None = None) -> list[Device]:
    """Screens of the units the caller administers (or of `unit` only), plus those awaiting approval."""
    unit_ids = {u.id for u in admin_units(s, user)}
    if unit is not None:
        unit_ids &= {unit.id}
    if not unit_ids:
        raise ServiceError(403, "forbidden")
    drop_stale_pending(s)
    rows = s.scalars(select(Device).order_by(Device.created_at)).all()
    return [d for d in rows if d.unit_id in unit_ids or d.status == "pending"]


def clean_settings(data: dict, errors: dict) -> dict:
    """Validated name, location, audiences, groups and orientation; problems go into `errors`."""
    out = {}
    for name in ("name", "location"):
        if name in data:
            value = data[name]
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                errors[name] = ("too_long", {"max": MAX_TEXT})
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
        if not isinstance(groups, list) or not all(isinstance(g, str) and 0 < len(g) <= MAX_GROUP
                                                    for g in groups):
            errors["groups"] = ("invalid", {})
        else:
            out["groups"] = sorted(set(groups))
    if "orientation" in data:
        if data["orientation"] not in ORIENTATIONS:
            errors["orientation"] = ("invalid", {})
        else:
            out["orientation"] = data["orientation"]
    return out


def _screen_code(s: Session) -> str:
    while True:
        code = "S" + new_code(5)
        if s.scalar(select(Device.id).where(Device.screen_code == code)) is None:
            return code


def approve(s: Session, user: User, device_id: str, data: dict) -> Device:
    """Admit a pending screen into a unit the caller administers (`data["unit"]`, else the first)."""
    device = device_for_admin(s, user, device_id)
    if device.status != "pending":
        raise ServiceError(409, "bad_state")
    units = admin_units(s, user)
    unit = next((u for u in units if u.code == data.get("unit")), units[0] if "unit" not in data else None)
    errors = {} if unit else {"unit": ("forbidden", {})}
    settings = clean_settings(data, errors)
    if "audiences" not in settings and "audiences" not in errors:
        errors["audiences"] = ("required", {})
    if errors:
        raise ServiceError(422, "invalid", errors)
    for name, value in settings.items():
        setattr(device, name, value)
    device.unit, device.status, device.updated_at = unit, "active", utcnow()
    device.screen_code = device.screen_code or _screen_code(s)
    audit.record(s, user.username, "device.approve", f"device:{device.id}", None, device_json(device))
    s.commit()
    return device


def update(s: Session, user: User, device_id: str, data: dict) -> Device:
    """Change a screen's name, location, audiences, groups or orientation."""
    device = device_for_admin(s, user, device_id)
    errors: dict = {}
    settings = clean_settings(data, errors)
    if errors:
        raise ServiceError(422, "invalid", errors)
    before = device_json(device)
    for name, value in settings.items():
        setattr(device, name, value)
    device.updated_at = utcnow()
    audit.record(s, user.username, "device.update", f"device:{device.id}", before, device_json(device))
    s.commit()
    return device


def revoke(s: Session, user: User, device_id: str) -> Device:
    """Cut a screen off: its token stops working at once; it may enrol again."""
    device = device_for_admin(s, user, device_id)
    device.status, device.token_hash, device.updated_at = "revoked", None, utcnow()
    audit.record(s, user.username, "device.revoke", f"device:{device.id}", None, {"status": "revoked"})
    s.commit()
    return device


def queue_command(s: Session, user: User, device_id: str, name) -> Device:
    """Queue reload / screenshot / identify; it goes down the device's event stream."""
    device = device_for_admin(s, user, device_id)
    if name not in COMMANDS:
        raise ServiceError(422, "invalid", {"name": ("unknown_action", {})})
    if device.status != "active":
        raise ServiceError(409, "bad_state")
    s.add(DeviceCommand(device_id=device.id, name=name))
    audit.record(s, user.username, f"device.command.{name}", f"device:{device.id}", None, None)
    s.commit()
    return device


def screenshot_path(device: Device, media_dir: str) -> str | None:
    """Where the screen's latest uploaded PNG is stored, or None if there is none."""
    if not device.screenshot_sha:
        return None
    path = os.path.join(media_dir, device.screenshot_sha)
    return path if os.path.exists(path) else None


def latest_screenshot_path(s: Session, user: User, device_id: str, media_dir: str) -> str:
    """The latest screenshot of a screen the caller administers (404 if none)."""
    path = screenshot_path(device_for_admin(s, user, device_id), media_dir)
    if path is None:
        raise ServiceError(404, "not_found")
    return path
