"""屏幕管理 in the staff API: list, approve, change, command and revoke screens, and read their
latest screenshot — for staff with the admin role of the screen's unit, by bearer token only (the
HTML UI's session cookie is for its forms with CSRF tokens, not for JSON). Thin over
server/screens/registry.py, which the HTML UI uses too."""
from __future__ import annotations

from flask import current_app, g, jsonify, send_file

from server import db
from server.api import bp, json_body
from server.screens import registry


@bp.get("/devices")
def list_devices():
    """Screens of the units the caller administers, plus screens waiting for approval."""
    rows = registry.list_for_admin(db.session(), g.user)
    return jsonify([registry.device_json(d) for d in rows])


@bp.post("/devices/<device_id>/approve")
def approve_device(device_id: str):
    """Admit a pending screen into the caller's unit with name, location, audiences, groups."""
    user, s = g.user, db.session()
    registry.device_for_admin(s, user, device_id)
    return jsonify(registry.device_json(registry.approve(s, user, device_id, json_body())))


@bp.patch("/devices/<device_id>")
def update_device(device_id: str):
    """Change an approved screen's name, location, audiences, groups or orientation."""
    user, s = g.user, db.session()
    registry.device_for_admin(s, user, device_id)
    return jsonify(registry.device_json(registry.update(s, user, device_id, json_body())))


@bp.post("/devices/<device_id>/revoke")
def revoke_device(device_id: str):
    """Cut a screen off: its token stops working at once; it may enrol again."""
    return jsonify(registry.device_json(registry.revoke(db.session(), g.user, device_id)))


@bp.post("/devices/<device_id>/commands")
def device_command(device_id: str):
    """Queue reload / screenshot / identify; it goes down the device's event stream."""
    user, s = g.user, db.session()
    registry.device_for_admin(s, user, device_id)
    name = json_body().get("name")
    registry.queue_command(s, user, device_id, name)
    return jsonify({"queued": name}), 202


@bp.get("/devices/<device_id>/screenshot")
def device_screenshot(device_id: str):
    """The latest PNG the screen uploaded (404 if none)."""
    path = registry.latest_screenshot_path(db.session(), g.user, device_id,
                                          current_app.config["MEDIA_DIR"])
    return send_file(path, mimetype="image/png", max_age=0)
