"""信息屏 (admins and approvers of the unit): playlist rules per screen group, opening hours and night
mode, 紧急通知 with a confirm step, a live preview of a group's playlist, and the proof-of-play
report. Thin views over server/screens/signage_rules.py and server/screens/signage.py."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from content.model import Role
from content.playlist import alert_of, is_open, night_mode, playlist_at, ticker_at
from content.model import in_years
from server.guard.csvsafe import csv_text
from server.auth import require_roles
from server import db
from server.disclosure import catalog
from server.disclosure import items as disclosure_items
from server.screens import signage_rules
from server.admin import bp
from server.admin.forms import AUDIENCES, field_errors, from_local_input
from server.admin.render import local_zone, qr_svg
from server.i18n import local_name, msg, t
from server.admin.signage_forms import dayparts_label, dayparts_text, parse_dayparts, split_groups
from server.screens.branding import block_of
from server.screens.device_info import DeviceInfo
from server.screens.models import Device
from server.screens.device_feed import preview_manifest
from server.models import Item, utcnow
from server.screens.push import current_mark
from server.screens.signage import SLIDES, plays_per_day
from server.screens.models import ScreenGroup, SignageAlert, SignageRule
from server.validation import ServiceError

READERS = frozenset({Role.ADMIN, Role.APPROVER, Role.SUPERVISOR})
RULE_FORM = {"group": "", "category": "", "immediate_only": False, "slide": "auto", "duration": "15",
             "position": "100", "dayparts": "", "window_start": "", "window_end": ""}


def _require_reader() -> None:
    require_roles(g.user, g.unit, *READERS)


def unit_groups(s) -> list[str]:
    """Every group name the unit uses: on its screens, in its settings and in its rules."""
    names: set[str] = set()
    for groups in s.scalars(select(Device.groups).where(Device.unit_id == g.unit.id, Device.status == "active")):
        names.update(groups or ())
    names.update(s.scalars(select(ScreenGroup.name).where(ScreenGroup.unit_id == g.unit.id)))
    names.update(x for x in s.scalars(select(SignageRule.group).where(SignageRule.unit_id == g.unit.id)) if x)
    return sorted(names)


def _home(errors: dict | None = None, rule_values: dict | None = None, status: int = 200):
    s = db.session()
    _require_reader()
    settings = {row.name: row for row in s.scalars(select(ScreenGroup).where(ScreenGroup.unit_id == g.unit.id))}
    categories = catalog.tree(s, g.unit)
    rules = s.scalars(select(SignageRule).where(SignageRule.unit_id == g.unit.id)
                      .order_by(SignageRule.position, SignageRule.id)).all()
    return render_template(
        "admin/signage.html", groups=unit_groups(s), settings=settings, rules=rules,
        alerts=signage_rules.unit_alerts(s, [g.unit.id], limit=20), categories=categories,
        category_names={cat.key: local_name(cat) for cat, _ in categories},
        errors=errors or {}, rule_values=rule_values or RULE_FORM, dayparts_label=dayparts_label,
        dayparts_text=dayparts_text, can_manage=bool(signage_rules.MANAGERS & g.roles), slides=SLIDES), status


@bp.get("/signage")
def signage_home():
    """信息屏: alerts, rules per group, group opening hours, links to preview and proof of play."""
    return _home()


@bp.post("/signage/rules")
def add_signage_rule():
    """Add a rule "all (公示) items of category X" for a group."""
    values = {**RULE_FORM, **request.form.to_dict(), "immediate_only": bool(request.form.get("immediate_only"))}
    values["window"] = {"start": from_local_input(values["window_start"]), "end": from_local_input(values["window_end"])}
    signage_rules.require_manager(g.user, g.unit)
    try:
        try:
            data = {**values, "dayparts": parse_dayparts(values["dayparts"], "dayparts")}
        except ServiceError as exc:
            signage_rules.check_rule(db.session(), g.unit, {**values, "dayparts": []}, exc.fields)
        signage_rules.add_rule(db.session(), g.user, g.unit, data)
    except ServiceError as exc:
        db.session().rollback()
        return _home({"rule": field_errors(exc)}, values, exc.status)
    flash(t("sg.flash.rule_added"))
    return redirect(url_for("admin.signage_home"))


@bp.post("/signage/rules/<int:rule_id>/delete")
def delete_signage_rule(rule_id: int):
    """Delete a rule."""
    signage_rules.delete_rule(db.session(), g.user, g.unit, rule_id)
    flash(t("sg.flash.rule_deleted"))
    return redirect(url_for("admin.signage_home"))


@bp.post("/signage/groups")
def save_signage_group():
    """Save a group's opening hours and night mode."""
    form = request.form
    try:
        data = {"name": form.get("name", ""), "night_mode": bool(form.get("night_mode")),
                "opening_hours": parse_dayparts(form.get("opening_hours", ""), "opening_hours")}
        signage_rules.save_group(db.session(), g.user, g.unit, data)
    except ServiceError as exc:
        db.session().rollback()
        return _home({"group:" + form.get("name", ""): field_errors(exc)}, status=exc.status)
    flash(t("sg.flash.group_saved", name=form.get("name", "")))
    return redirect(url_for("admin.signage_home"))


@bp.post("/signage/alerts")
def raise_signage_alert():
    """紧急通知: first a confirm page, then (confirmed) the alert goes to the screens at once."""
    signage_rules.require_manager(g.user, g.unit)
    data = {"title": request.form.get("title", ""), "body": request.form.get("body", ""),
            "groups": split_groups(request.form.get("groups", ""))}
    try:
        clean = signage_rules.check_alert(data)
        if request.form.get("confirmed") != "1":
            return render_template("admin/signage_confirm.html", action="raise", alert=clean,
                                   groups_text=request.form.get("groups", ""))
        alert = signage_rules.raise_alert(db.session(), g.user, g.unit, data)
    except ServiceError as exc:
        db.session().rollback()
        return _home({"alert": field_errors(exc)}, status=exc.status)
    flash(t("sg.flash.alert_raised", title=alert.title))
    return redirect(url_for("admin.signage_home"))


@bp.post("/signage/alerts/<int:alert_id>/clear")
def clear_signage_alert(alert_id: int):
    """解除紧急通知: a confirm page, then the alert leaves every screen."""
    s = db.session()
    alert = s.get(SignageAlert, alert_id)
    if alert is None or alert.unit_id != g.unit.id:
        raise ServiceError(404, "not_found")
    signage_rules.require_manager(g.user, g.unit)
    if request.form.get("confirmed") != "1":
        return render_template("admin/signage_confirm.html", action="clear", alert=alert, groups_text="")
    signage_rules.clear_alert(s, g.user, alert)
    flash(t("sg.flash.alert_cleared", title=alert.title))
    return redirect(url_for("admin.signage_home"))


def _day(value: str | None, default):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date() if value else default
        if not in_years(day):
            raise ValueError(value)
        return day
    except ValueError:
        raise ServiceError(422, "invalid", {"date": ("bad_window", {"detail": msg("plays.date")})}) from None


@bp.get("/signage/plays")
def signage_plays():
    """播放统计: plays per item per screen per day (proof of play); ?format=csv downloads it."""
    _require_reader()
    zone = local_zone()
    today = datetime.now(zone).date()
    last = _day(request.args.get("to"), today)
    first = _day(request.args.get("from"), last - timedelta(days=6))
    if first > last or (last - first).days > 92:
        raise ServiceError(422, "invalid", {"date": ("bad_window", {"detail": msg("plays.range")})})
    since = datetime.combine(first, datetime.min.time(), zone)
    rows = plays_per_day(db.session(), g.unit.id, since, since + timedelta(days=(last - first).days + 1), zone)
    ids = {r["item"] for r in rows if r["item"] is not None}
    items = {i.id: i for i in db.session().scalars(select(Item).where(Item.id.in_(ids), Item.unit_id == g.unit.id))}
    for r in rows:
        item = items.get(r["item"])
        r["title"] = item.revisions[-1].title if item is not None and item.revisions else ""
    if request.args.get("format") == "csv":
        return _csv(rows, first, last)
    return render_template("admin/signage_plays.html", rows=rows, first=first, last=last,
                           total=sum(r["plays"] for r in rows))


def _csv(rows, first, last) -> Response:
    body = csv_text(["日期", "屏幕", "屏幕编号", "事项编号", "标题", "播放次数", "播放秒数"],
                    ([r["day"], r["screen"], r["screen_code"], r["item"], r["title"], r["plays"],
                      round(r["seconds"], 1)] for r in rows))
    name = f"plays-{g.unit.code}-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(body, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


SIZES = {"1080x1920": (1080, 1920), "1920x1080": (1920, 1080)}


def _preview_device(s, group: str, audiences: list[str], size: tuple[int, int]):
    """A stand-in screen of the group: the audiences of the group's screens unless chosen."""
    devices = [d for d in s.scalars(select(Device).where(Device.unit_id == g.unit.id, Device.status == "active"))
               if not group or group in (d.groups or ())]
    if not audiences:
        audiences = sorted({a for d in devices for a in d.audiences}) or ["patients", "public"]
    code = next((d.screen_code for d in devices if d.screen_code), "PREVIEW")
    return DeviceInfo(id="preview", kind="signage", status="active", name=t("sg.preview"), location="",
                      screen_code=code, audiences=tuple(sorted(audiences)), groups=(group,) if group else (),
                      orientation="auto", screen_w=size[0], screen_h=size[1], unit_id=g.unit.id,
                      unit_parent_id=g.unit.parent_id, unit={},
                      branding=block_of(g.unit.name, g.unit.brand_name, g.unit.brand_colour, g.unit.logo))


def _slide(entry, items: dict) -> dict | None:
    """What one playlist entry shows in the preview: the item, its live revision's images, a QR."""
    if entry is None:
        return None
    data = items.get(entry.item) or {}
    item = db.session().get(Item, entry.item)
    live = disclosure_items.live_revision(item) if item is not None else None
    images = [a.sha256 for a in live.attachments] if live is not None else []
    table = data.get("table") or {}
    return {"entry": entry, "item": data, "images": images, "stats": (data.get("signage") or {}).get("stats"),
            "table": {"columns": table.get("columns", []), "rows": table.get("rows", [])[:10]},
            "qr": qr_svg(data.get("feedback_url", "")) if data.get("feedback_url") else None}


@bp.get("/signage/preview")
def signage_preview():
    """实时预览: what a screen of the group plays now and next, at the chosen resolution."""
    _require_reader()
    s = db.session()
    size_key = request.args.get("size", "1920x1080")
    if size_key not in SIZES:
        raise ServiceError(422, "invalid", {"size": ("bad_signage", {"detail": msg("signage.size")})})
    group = request.args.get("group", "")
    audiences = [a for a in request.args.getlist("audiences") if a in AUDIENCES]
    device = _preview_device(s, group, audiences, SIZES[size_key])
    manifest = preview_manifest(s, device, current_mark(s).version)
    now = utcnow()
    entries, deadline = playlist_at(manifest, now)
    items = {i["id"]: i for i in manifest["items"]}
    w, h = SIZES[size_key]
    return render_template(
        "admin/signage_preview.html", groups=unit_groups(s), group=group, size_key=size_key, sizes=SIZES,
        w=w, h=h, device=device, audiences=AUDIENCES, entries=entries, deadline=deadline,
        now_slide=_slide(entries[0] if entries else None, items),
        next_slide=_slide(entries[1] if len(entries) > 1 else None, items),
        ticker=ticker_at(manifest, now)[0], alert=alert_of(manifest),
        closed=not is_open(manifest, now), night=night_mode(manifest), clock=now.astimezone(local_zone()),
        opening=manifest["device"]["signage"], dayparts_label=dayparts_label)
