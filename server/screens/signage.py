"""信息屏 on the server: per-item signage settings, playlist rules, group settings and alerts, and
the `playlist` / `ticker` / `alert` / `device.signage` parts of a device's manifest (docs/signage.md).

Only revisions the feed already chose (approved, live, allowed to the device's audiences, window
not ended) can enter a playlist or the ticker; an item plays by its own approved settings, else by
the first rule of the device's groups that matches its category.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.i18n import msg
from server.screens.models import ScreenGroup, SignageAlert, SignageRule
from server.validation import ServiceError, parse_time

SLIDES = ("auto", "notice", "image", "document", "table", "stats")
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 3, 300, 15
MAX_DAYPARTS, MAX_GROUPS, MAX_GROUP_NAME = 20, 20, 64
MAX_ALERT_TITLE, MAX_ALERT_BODY = 100, 2000
STATS_FIELDS = ("month", "received", "answered", "on_time_pct", "satisfaction_pct")

def clamp_duration(value) -> int:
    """Seconds per slide, always within 3–300 (anything unreadable becomes the default)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return DEFAULT_DURATION
    return int(min(MAX_DURATION, max(MIN_DURATION, round(value))))


def _clock(value) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hh, mm = value[:2], value[3:]
    return hh.isdigit() and mm.isdigit() and (int(hh) < 24 and int(mm) < 60 or value == "24:00")


def clean_dayparts(raw, field: str, errors: dict) -> list:
    """[{"days": [1..7], "from": "HH:MM", "to": "HH:MM"}]; [] means all day, every day."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_DAYPARTS:
        errors[field] = ("bad_dayparts", {"detail": msg("dayparts.list", max=MAX_DAYPARTS)})
        return []
    out = []
    for part in raw:
        days = part.get("days", [1, 2, 3, 4, 5, 6, 7]) if isinstance(part, dict) else None
        if not isinstance(days, list) or not days or not all(
                isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days):
            errors[field] = ("bad_dayparts", {"detail": msg("dayparts.days")})
            return []
        if not (_clock(part.get("from")) and _clock(part.get("to"))):
            errors[field] = ("bad_dayparts", {"detail": msg("dayparts.clock")})
            return []
        out.append({"days": sorted(set(days)), "from": part["from"], "to": part["to"]})
    return out


def clean_groups(raw, field: str, errors: dict) -> list:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_GROUPS or not all(
            isinstance(x, str) and 0 < len(x.strip()) <= MAX_GROUP_NAME for x in raw):
        errors[field] = ("bad_groups", {
            "detail": msg("groups.list", max=MAX_GROUPS, length=MAX_GROUP_NAME)})
        return []
    return list(dict.fromkeys(x.strip() for x in raw))


def _int(raw, default: int, field: str, errors: dict, detail: tuple[str, dict]) -> int:
    if raw in (None, ""):
        return default
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        errors[field] = ("bad_signage", {"detail": detail})
        return default
    return int(raw)


def clean_settings(raw) -> tuple[dict | None, dict]:
    """A revision's signage settings, checked; durations clamped to 3–300 s. None: not on screens."""
    if raw is None:
        return None, {}
    errors: dict = {}
    if not isinstance(raw, dict):
        return None, {"signage": ("bad_signage", {"detail": msg("signage.not_object")})}
    slide = raw.get("slide") or "auto"
    if slide not in SLIDES:
        errors["signage"] = ("bad_signage", {"detail": msg("signage.slide", slides="/".join(SLIDES))})
    for flag in ("enabled", "ticker"):
        if not isinstance(raw.get(flag, False), bool):
            errors["signage"] = ("bad_signage", {"detail": msg("signage.flag", flag=flag)})
    clean = {"enabled": raw.get("enabled") is True, "slide": slide,
             "duration": clamp_duration(_int(raw.get("duration"), DEFAULT_DURATION, "signage", errors,
                                                   msg("signage.duration_int"))),
             "order": _int(raw.get("order"), 0, "signage", errors, msg("signage.order_int")),
             "dayparts": clean_dayparts(raw.get("dayparts"), "signage", errors),
             "groups": clean_groups(raw.get("groups"), "signage", errors),
             "ticker": raw.get("ticker") is True}
    if isinstance(raw.get("stats"), dict):
        stats = raw["stats"]
        clean["stats"] = {k: stats.get(k) if isinstance(stats.get(k), (int, float)) and not isinstance(
            stats.get(k), bool) else None for k in STATS_FIELDS[1:]}
        clean["stats"]["month"] = str(stats.get("month") or "")[:7]
    return (None if errors else clean), errors


# ---- the manifest parts ------------------------------------------------------------------------
def slide_for(rev) -> str:
    """The slide type the revision plays as under its own settings (auto resolved)."""
    return _slide((rev.signage or {}).get("slide") or "auto", rev)


def _slide(settings_slide: str, rev) -> str:
    """The concrete slide type; "auto" picks from what the revision carries: statistics, else its
    table (a price list must be seen, not hidden behind its picture), else its images or PDF pages,
    else the notice."""
    if settings_slide != "auto":
        return settings_slide
    if (rev.signage or {}).get("stats"):
        return "stats"
    if rev.table:
        return "table"
    if rev.attachments:
        pdf = any(".pdf" in (a.filename or "").lower() for a in rev.attachments)
        return "document" if pdf else "image"
    return "notice"


def _meets(groups, device_groups) -> bool:
    return not groups or bool(set(groups) & set(device_groups))


def _rule_matches(rule: SignageRule, rev) -> bool:
    cat = rev.item.category
    if rule.category_key not in (cat.key, cat.parent_key):
        return False
    return not rule.immediate_only or (cat.time_rule or {}).get("kind") == "immediate"


def _intersect(start, end, rule: SignageRule):
    starts = [t for t in (start, rule.window_start) if t is not None]
    ends = [t for t in (end, rule.window_end) if t is not None]
    start, end = (max(starts) if starts else None), (min(ends) if ends else None)
    return (start, end) if start is None or end is None or start < end else None


def unit_rules(s: Session, units, groups) -> list[SignageRule]:
    """Rules of these units for these groups (or for every group), in rule order."""
    return list(s.scalars(select(SignageRule).where(
        SignageRule.unit_id.in_(units), or_(SignageRule.group == "", SignageRule.group.in_(list(groups))))
        .order_by(SignageRule.position, SignageRule.id)))


def playlist_parts(rules, groups, live, iso) -> dict:
    """`playlist`, `ticker` and the per-item `signage` blocks for a device in `groups`.

    `live`: (revision, start) pairs the feed chose for the device; `iso` formats a time.
    """
    playlist, ticker, blocks = [], [], {}
    for rev, start in live:
        settings = rev.signage or {}
        item_id = rev.item.id
        window = (start, rev.window_end)
        if settings.get("ticker") and _meets(settings.get("groups"), groups):
            ticker.append({"item": item_id, "text": rev.title,
                           "window": {"start": iso(start), "end": iso(rev.window_end)}})
        if settings.get("enabled") and _meets(settings.get("groups"), groups):
            slide, duration = _slide(settings.get("slide", "auto"), rev), settings.get("duration")
            order, dayparts = settings.get("order", 0), settings.get("dayparts") or []
        else:
            rule = next((r for r in rules if _rule_matches(r, rev)), None)
            window = _intersect(start, rev.window_end, rule) if rule is not None else None
            if window is None:
                continue
            slide, duration = _slide(rule.slide, rev), rule.duration
            order, dayparts = rule.position, rule.dayparts or []
        duration = clamp_duration(duration)
        block = {"slide": slide, "duration": duration}
        if slide == "stats" and settings.get("stats"):
            block["stats"] = settings["stats"]
        blocks[item_id] = block
        playlist.append({"item": item_id, "revision": rev.number, "title": rev.title, "slide": slide,
                         "duration": duration, "order": order, "dayparts": dayparts,
                         "window": {"start": iso(window[0]), "end": iso(window[1])}})
    playlist.sort(key=lambda e: (e["order"], e["item"]))
    return {"playlist": playlist, "ticker": ticker, "blocks": blocks}


def group_settings(s: Session, unit_id, groups) -> dict:
    """device.signage: the opening hours and night mode of the device's first configured group."""
    rows = {g.name: g for g in s.scalars(select(ScreenGroup).where(
        ScreenGroup.unit_id == unit_id, ScreenGroup.name.in_(list(groups))))} if groups else {}
    row = next((rows[name] for name in groups if name in rows), None)
    if row is None:
        return {"opening_hours": [], "night_mode": False}
    return {"opening_hours": row.opening_hours or [], "night_mode": bool(row.night_mode)}


def active_alerts(s: Session, units) -> list[SignageAlert]:
    return list(s.scalars(select(SignageAlert).where(
        SignageAlert.unit_id.in_(list(units)), SignageAlert.cleared_at.is_(None))
        .order_by(SignageAlert.raised_at.desc(), SignageAlert.id.desc())))


def alert_for(s: Session, units, groups, iso) -> dict | None:
    """The newest uncleared alert covering a screen of `units` in `groups`, or None."""
    for alert in active_alerts(s, units):
        if _meets(alert.groups, groups):
            return {"id": alert.id, "title": alert.title, "body": alert.body, "since": iso(alert.raised_at)}
    return None


def parse_window(raw_start, raw_end, field: str, errors: dict) -> tuple[datetime | None, datetime | None]:
    start = parse_time(raw_start, field, errors)
    end = parse_time(raw_end, field, errors)
    if field not in errors and start and end and end <= start:
        errors[field] = ("bad_window", {"detail": msg("window.end_first")})
    return start, end


def refuse(errors: dict) -> None:
    if errors:
        raise ServiceError(422, "invalid", errors)


def plays_per_day(s: Session, unit_id: int, since: datetime, until: datetime, zone) -> list[dict]:
    """Proof of play: showings per (local day, screen, item) of the unit's screens in [since, until)."""
    from server.screens.models import Device, DeviceEvent
    rows = s.execute(select(DeviceEvent.at, DeviceEvent.device_id, DeviceEvent.item_id, DeviceEvent.duration,
                            Device.name, Device.screen_code)
                     .join(Device, Device.id == DeviceEvent.device_id)
                     .where(Device.unit_id == unit_id, DeviceEvent.type == "play",
                            DeviceEvent.at >= since, DeviceEvent.at < until))
    counts: dict[tuple, dict] = {}
    for at, device_id, item_id, duration, name, code in rows:
        key = (at.astimezone(zone).date().isoformat(), device_id, item_id)
        row = counts.setdefault(key, {"day": key[0], "device": device_id, "screen": name or code or device_id,
                                      "screen_code": code or "", "item": item_id, "plays": 0, "seconds": 0.0})
        row["plays"] += 1
        row["seconds"] += duration or 0.0
    return sorted(counts.values(), key=lambda r: (r["day"], r["screen"], r["item"] or 0))
