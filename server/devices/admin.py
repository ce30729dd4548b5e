"""Screen administration for staff with the admin role of the screen's unit (docs/architecture.md, device protocol).

Thin JSON views over server/screens/registry.py, which the HTML UI uses too.
"""
from __future__ import annotations

from flask import current_app, jsonify, request, send_file, session

from server import db

from server.screens import registry
from server.auth import load_user
from server.devices import bp
from server.models import User
from server.validation import ServiceError


def _staff() -> User:
    user = load_user(db.session(), request, session)
    if user is None:
        raise ServiceError(401, "unauthorized")
    return user


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and request.form:
        data = request.form.to_dict()
    if not isinstance(data, dict):
        raise ServiceError(400, "bad_json")
    return data


@bp.get("/devices")
def list_devices():
    """Screens of the units the caller administers, plus screens waiting for approval."""
    rows = registry.list_for_admin(db.session(), _staff())
    return jsonify([registry.device_json(d) for d in rows])


@bp.post("/devices/<device_id>/approve")
def approve(device_id: str):
    """Admit a pending screen into the caller's unit with name, location, audiences, groups."""
    user = _staff()
    s = db.session()
    registry.device_for_admin(s, user, device_id)
    return jsonify(registry.device_json(registry.approve(s, user, device_id, _body())))


@bp.patch("/devices/<device_id>")
def update(device_id: str):
    """Change an approved screen's name, location, audiences, groups or orientation."""
    user = _staff()
    s = db.session()
    registry.device_for_admin(s, user, device_id)
    return jsonify(registry.device_json(registry.update(s, user, device_id, _body())))


@bp.post("/devices/<device_id>/revoke")
def revoke(device_id: str):
    """Cut a screen off: its token stops working at once; it may enrol again."""
    return jsonify(registry.device_json(registry.revoke(db.session(), _staff(), device_id)))


@bp.post("/devices/<device_id>/commands")
def command(device_id: str):
    """Queue reload / screenshot / identify; it goes down the device's event stream."""
    user = _staff()
    s = db.session()
    registry.device_for_admin(s, user, device_id)
    name = _body().get("name")
    registry.queue_command(s, user, device_id, name)
    return jsonify({"queued": name}), 202


@bp.get("/devices/<device_id>/screenshot")
def screenshot(device_id: str):
    """The latest PNG the screen uploaded (404 if none)."""
    path = registry.latest_screenshot_path(db.session(), _staff(), device_id,
                                          current_app.config["MEDIA_DIR"])
    return send_file(path, mimetype="image/png", max_age=0)
