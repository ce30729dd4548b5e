"""Changing what screens play without the content workflow: playlist rules, group opening hours and
紧急通知 alerts. Shared by the admin UI and the JSON API; every change is audited, and push.py bumps
the feed version in the same transaction so screens hear of it within a second.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.model import Role
from server import audit
from server.auth import require_roles
from server.i18n import msg
from server.models import Category, Unit, User, utcnow
from server.screens.signage import (MAX_ALERT_BODY, MAX_ALERT_TITLE, MAX_GROUP_NAME, SLIDES, clamp_duration,
                            clean_dayparts, clean_groups, parse_window, refuse)
from server.screens.models import ScreenGroup, SignageAlert, SignageRule
from server.validation import ServiceError

MANAGERS = frozenset({Role.ADMIN, Role.APPROVER})


def require_manager(user: User, unit: Unit) -> None:
    """Rules, group settings and alerts: the unit's admins and approvers (领导小组) only."""
    require_roles(user, unit, *MANAGERS)


def _group_name(raw, errors: dict, field: str = "group", allow_empty: bool = True) -> str:
    name = raw.strip() if isinstance(raw, str) else None
    if name is None or len(name) > MAX_GROUP_NAME or (not name and not allow_empty):
        errors[field] = ("bad_groups", {"detail": msg("groups.name", max=MAX_GROUP_NAME)})
        return ""
    return name


def check_rule(s: Session, unit: Unit, data: dict, errors: dict | None = None) -> dict:
    """The rule's fields, checked; errors already found (e.g. by a form) are reported with these."""
    errors = dict(errors or {})
    group = _group_name(data.get("group", ""), errors)
    key = data.get("category")
    if not isinstance(key, str) or s.scalar(select(Category.id).where(
            Category.unit_id == unit.id, Category.key == key)) is None:
        errors["category"] = ("unknown_category", {})
    slide = data.get("slide") or "auto"
    if slide not in SLIDES:
        errors["slide"] = ("bad_signage", {"detail": msg("signage.slide", slides="/".join(SLIDES))})
    duration = data.get("duration", 15)
    if isinstance(duration, str) and duration.strip().isdigit():
        duration = int(duration)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        errors["duration"] = ("bad_signage", {"detail": msg("signage.seconds")})
    position = data.get("position", 100)
    if isinstance(position, str) and position.strip().lstrip("-").isdigit():
        position = int(position)
    if isinstance(position, bool) or not isinstance(position, int):
        errors["position"] = ("bad_signage", {"detail": msg("signage.order_int")})
    dayparts = clean_dayparts(data.get("dayparts"), "dayparts", errors)
    window = data.get("window") or {}
    start = end = None
    if isinstance(window, dict):
        start, end = parse_window(window.get("start"), window.get("end"), "window", errors)
    else:
        errors["window"] = ("bad_window", {"detail": msg("window.not_object")})
    refuse(errors)
    return {"group": group, "category_key": key, "immediate_only": bool(data.get("immediate_only")),
            "slide": slide, "duration": clamp_duration(duration), "position": position,
            "dayparts": dayparts, "window_start": start, "window_end": end}


def add_rule(s: Session, user: User, unit: Unit, data: dict) -> SignageRule:
    """A rule "all (公示) items of category X" for a group ("" = every group of the unit)."""
    require_manager(user, unit)
    rule = SignageRule(unit_id=unit.id, **check_rule(s, unit, data), created_by=user.id)
    s.add(rule)
    s.flush()
    audit.record(s, user.username, "signage.rule_add", f"rule:{rule.id}", None, rule_dict(rule))
    s.commit()
    return rule


def delete_rule(s: Session, user: User, unit: Unit, rule_id: int) -> None:
    require_manager(user, unit)
    rule = s.get(SignageRule, rule_id)
    if rule is None or rule.unit_id != unit.id:
        raise ServiceError(404, "not_found")
    audit.record(s, user.username, "signage.rule_delete", f"rule:{rule.id}", rule_dict(rule), None)
    s.delete(rule)
    s.commit()


def rule_dict(rule: SignageRule) -> dict:
    return {"id": rule.id, "group": rule.group, "category": rule.category_key,
            "immediate_only": rule.immediate_only, "slide": rule.slide, "duration": rule.duration,
            "position": rule.position, "dayparts": rule.dayparts,
            "window": [_iso(rule.window_start), _iso(rule.window_end)]}


def save_group(s: Session, user: User, unit: Unit, data: dict) -> ScreenGroup:
    """Opening hours and night mode of one screen group."""
    require_manager(user, unit)
    errors: dict = {}
    name = _group_name(data.get("name"), errors, "name", allow_empty=False)
    hours = clean_dayparts(data.get("opening_hours"), "opening_hours", errors)
    night = data.get("night_mode", False)
    if not isinstance(night, bool):
        errors["night_mode"] = ("bad_signage", {"detail": msg("signage.flag", flag="night_mode")})
    refuse(errors)
    row = s.scalar(select(ScreenGroup).where(ScreenGroup.unit_id == unit.id, ScreenGroup.name == name))
    before = group_dict(row) if row else None
    if row is None:
        row = ScreenGroup(unit_id=unit.id, name=name)
        s.add(row)
    row.opening_hours, row.night_mode, row.updated_at = hours, night, utcnow()
    s.flush()
    audit.record(s, user.username, "signage.group", f"group:{unit.code}/{name}", before, group_dict(row))
    s.commit()
    return row


def group_dict(row: ScreenGroup) -> dict:
    return {"name": row.name, "opening_hours": row.opening_hours, "night_mode": row.night_mode}


def check_alert(data: dict) -> dict:
    """The alert's title, body and groups, checked (422 with field errors otherwise)."""
    errors: dict = {}
    title = data.get("title")
    body = data.get("body", "")
    if not isinstance(title, str) or not title.strip():
        errors["title"] = ("required", {})
    elif len(title.strip()) > MAX_ALERT_TITLE:
        errors["title"] = ("too_long", {"max": MAX_ALERT_TITLE})
    if not isinstance(body, str):
        errors["body"] = ("invalid", {})
    elif len(body) > MAX_ALERT_BODY:
        errors["body"] = ("too_long", {"max": MAX_ALERT_BODY})
    groups = clean_groups(data.get("groups"), "groups", errors)
    refuse(errors)
    return {"title": title.strip(), "body": body.strip(), "groups": groups}


def raise_alert(s: Session, user: User, unit: Unit, data: dict) -> SignageAlert:
    """紧急通知: on every screen of the unit (or the named groups) at once, until cleared."""
    require_manager(user, unit)
    clean = check_alert(data)
    alert = SignageAlert(unit_id=unit.id, **clean, raised_by=user.id, raised_at=utcnow())
    s.add(alert)
    s.flush()
    audit.record(s, user.username, "signage.alert_raise", f"alert:{alert.id}", None, alert_dict(alert))
    s.commit()
    return alert


def clear_alert(s: Session, user: User, alert: SignageAlert) -> SignageAlert:
    """解除: the alert leaves every screen; 409 if it was cleared already."""
    require_manager(user, s.get(Unit, alert.unit_id))
    if alert.cleared_at is not None:
        raise ServiceError(409, "alert_cleared")
    before = alert_dict(alert)
    alert.cleared_by, alert.cleared_at = user.id, utcnow()
    audit.record(s, user.username, "signage.alert_clear", f"alert:{alert.id}", before, alert_dict(alert))
    s.commit()
    return alert


def alert_dict(alert: SignageAlert) -> dict:
    return {"id": alert.id, "unit": alert.unit_id, "groups": alert.groups, "title": alert.title,
            "body": alert.body, "raised_by": alert.raised_by, "raised_at": _iso(alert.raised_at),
            "cleared_by": alert.cleared_by, "cleared_at": _iso(alert.cleared_at),
            "active": alert.cleared_at is None}


def unit_alerts(s: Session, unit_ids, limit: int = 100) -> list[SignageAlert]:
    """Alerts of these units: the active ones first, then the most recent."""
    rows = s.scalars(select(SignageAlert).where(SignageAlert.unit_id.in_(list(unit_ids)))
                     .order_by(SignageAlert.id.desc()).limit(limit)).all()
    return sorted(rows, key=lambda a: a.cleared_at is not None)


def _iso(value):
    return value.isoformat() if value else None
