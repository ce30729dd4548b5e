"""屏幕管理 (admins of the unit): approve pending screens, edit, command and revoke screens, see
their latest screenshot. Thin views over server/screens/registry.py."""
from __future__ import annotations

import re
from datetime import datetime

from flask import current_app, flash, g, redirect, render_template, request, send_file, url_for

from content.model import Role
from server.auth import require_roles
from server import db
from server.screens import registry
from server.admin import bp, set_unit
from server.admin.forms import AUDIENCES, field_errors
from server.i18n import t, term
from server.screens.models import Device
from server.screens.push import current_mark
from server.screens.public_address import is_loopback_url
from server.validation import ServiceError

NEW = {"name": "", "location": "", "audiences": [], "groups": "", "orientation": "auto"}
GROUP_SEPARATORS = re.compile(r"[,，、;；]")


def screen_values(form) -> dict:
    """What the user typed into a screen's settings form, to fill it again."""
    return {"name": form.get("name", ""), "location": form.get("location", ""),
            "audiences": form.getlist("audiences"), "groups": form.get("groups", ""),
            "orientation": form.get("orientation", "auto")}


def stored_values(device: Device) -> dict:
    return {"name": device.name, "location": device.location, "audiences": list(device.audiences),
            "groups": ", ".join(device.groups), "orientation": device.orientation}


def screen_data(values: dict) -> dict:
    """The settings form as the service takes it: groups split on commas (either width)."""
    groups = [x.strip() for x in GROUP_SEPARATORS.split(values["groups"]) if x.strip()]
    return {"name": values["name"], "location": values["location"], "audiences": values["audiences"],
            "groups": groups, "orientation": values["orientation"]}


def _load(device_id: str) -> Device:
    """A screen of a unit the user administers (404 otherwise); its unit becomes current."""
    require_roles(g.user, g.unit, Role.ADMIN)
    device = registry.device_for_admin(db.session(), g.user, device_id)
    if device.unit is not None and device.unit.id != g.unit.id:
        set_unit(device.unit)
    return device


def _behind(device: Device) -> bool:
    """落后: the screen reported showing other content than it would be sent now."""
    return registry.up_to_date(device) is False


def loopback_warning(devices) -> str:
    """The warning when the QR codes' address is this machine only while screens connect from
    elsewhere (their last report's source address); empty otherwise."""
    url = current_app.config["PUBLIC_BASE_URL"]
    if not is_loopback_url(url):
        return ""
    remote = [d for d in devices if d.status == "active" and (d.health or {}).get("address")
              and not is_loopback_url(f"http://{_host(d.health['address'])}/")]
    if not remote:
        return ""
    return t("screens.loopback_warning", url=url, names="、".join(d.name or d.screen_code or "?" for d in remote))


def _time(value):
    """A reported ISO time as an aware datetime, or None."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _list(errors: dict | None = None, values: dict | None = None, status: int = 200):
    s = db.session()
    rows = registry.list_for_admin(s, g.user, g.unit)
    return render_template(
        "admin/screens.html", pending=[d for d in rows if d.status == "pending"],
        active=sorted((d for d in rows if d.status == "active"), key=lambda d: (d.name, d.screen_code)),
        revoked=[d for d in rows if d.status == "revoked"], current=current_mark(s).version,
        online=registry.is_online, behind=_behind, errors=errors or {}, values=values or {}, new=NEW,
        audiences=AUDIENCES, orientations=registry.ORIENTATIONS, loopback_warning=loopback_warning(rows),
        public_url=current_app.config["PUBLIC_BASE_URL"]), status


def _detail(device: Device, errors: dict | None = None, values: dict | None = None, status: int = 200):
    s = db.session()
    shot = registry.screenshot_path(device, current_app.config["MEDIA_DIR"])
    return render_template(
        "admin/screen.html", d=device, values=values or stored_values(device), errors=errors or {},
        current=current_mark(s).version, online=registry.is_online(device), has_shot=shot is not None,
        behind=_behind, loopback_warning=loopback_warning([device]), content_time=_time((device.health or {}).get("content_time")),
        audiences=AUDIENCES, orientations=registry.ORIENTATIONS, commands=registry.COMMANDS), status


@bp.get("/screens")
def screens_page():
    """Screens waiting for approval, screens in use with their state, and revoked ones."""
    require_roles(g.user, g.unit, Role.ADMIN)
    return _list()


@bp.post("/screens/pending/clear")
def clear_pending_screens():
    """清除: drop every screen waiting for approval (or one, `device` in the form)."""
    require_roles(g.user, g.unit, Role.ADMIN)
    gone = registry.clear_pending(db.session(), g.user, request.form.get("device") or None)
    flash(t("flash.pending_cleared", n=gone))
    return redirect(url_for("admin.screens_page"))


@bp.post("/screens/<device_id>/approve")
def approve_screen(device_id: str):
    """批准: admit a pending screen into this unit; errors come back on its card."""
    device = _load(device_id)
    values = screen_values(request.form)
    try:
        registry.approve(db.session(), g.user, device.id, {**screen_data(values), "unit": g.unit.code})
    except ServiceError as exc:
        db.session().rollback()
        return _list({device_id: field_errors(exc)}, {device_id: values}, exc.status)
    flash(t("flash.approved", name=device.name or device.screen_code))
    return redirect(url_for("admin.screens_page"))


@bp.get("/screens/<device_id>")
def screen(device_id: str):
    """One screen: settings, commands, latest screenshot, revoke."""
    return _detail(_load(device_id))


@bp.post("/screens/<device_id>")
def edit_screen(device_id: str):
    """Save a screen's name, location, audiences, groups and orientation."""
    device = _load(device_id)
    values = screen_values(request.form)
    try:
        registry.update(db.session(), g.user, device.id, screen_data(values))
    except ServiceError as exc:
        db.session().rollback()
        return _detail(device, field_errors(exc), values, exc.status)
    flash(t("flash.saved"))
    return redirect(url_for("admin.screen", device_id=device.id))


@bp.post("/screens/<device_id>/commands")
def screen_command(device_id: str):
    """重新加载 / 截屏 / 识别: queue a command for the screen."""
    device = _load(device_id)
    name = request.form.get("name", "")
    registry.queue_command(db.session(), g.user, device.id, name)
    flash(t("flash.command", name=term("screen", name)))
    return redirect(url_for("admin.screen", device_id=device.id))


@bp.post("/screens/<device_id>/revoke")
def revoke_screen(device_id: str):
    """撤销: only when the screen's code was typed to confirm."""
    device = _load(device_id)
    code = device.screen_code or device.pairing_code
    if request.form.get("confirm", "").strip().upper() != code:
        return _detail(device, {"confirm": t("screens.confirm_wrong")}, status=422)
    registry.revoke(db.session(), g.user, device.id)
    flash(t("flash.revoked", name=device.name or code))
    return redirect(url_for("admin.screens_page"))


@bp.get("/screens/<device_id>/screenshot.png")
def screen_screenshot(device_id: str):
    """The latest PNG the screen uploaded (404 if none)."""
    device = _load(device_id)
    path = registry.latest_screenshot_path(db.session(), g.user, device.id,
                                          current_app.config["MEDIA_DIR"])
    return send_file(path, mimetype="image/png", max_age=0)
