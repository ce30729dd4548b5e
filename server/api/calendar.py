"""Working-day overrides (调休 for years the calendar package does not know yet), admin only."""
from __future__ import annotations

from datetime import date, timedelta

from flask import g, jsonify
from sqlalchemy import select

from content.model import Role, in_years
from server import audit, db
from server.api import bp, caller_unit, json_body
from server.auth import require_roles
from server.models import CalendarOverride, utcnow
from server.validation import ServiceError
from server.workdays import calendar_for


def _overrides_json(s) -> list[dict]:
    rows = s.scalars(select(CalendarOverride).order_by(CalendarOverride.day)).all()
    return [{"date": r.day.isoformat(), "working": r.working, "note": r.note} for r in rows]


@bp.get("/calendar")
def calendar():
    """The override table, and warnings for the coming year the calendar does not know."""
    s = db.session()
    cal = calendar_for(s)
    today = utcnow().date()
    cal.working_days_between(today, today + timedelta(days=400))
    return jsonify({"overrides": _overrides_json(s), "warnings": cal.warnings()})


@bp.put("/calendar")
def put_calendar():
    """Replace the override table: {"overrides": [{"date", "working", "note"?}]}."""
    require_roles(g.user, caller_unit(), Role.ADMIN)
    rows = json_body().get("overrides")
    if not isinstance(rows, list):
        raise ServiceError(422, "invalid", {"overrides": ("required", {})})
    parsed = {}
    for n, row in enumerate(rows):
        try:
            day = date.fromisoformat(row["date"])
            if not in_years(day):
                raise ValueError(day)
            if not isinstance(row["working"], bool):
                raise TypeError
            parsed[day] = CalendarOverride(day=day, working=row["working"], note=str(row.get("note", ""))[:100])
        except (KeyError, TypeError, ValueError):
            raise ServiceError(422, "invalid", {f"overrides[{n}]": ("invalid", {})}) from None
    s = db.session()
    before = _overrides_json(s)
    for old in s.scalars(select(CalendarOverride)).all():
        s.delete(old)
    s.flush()
    s.add_all(parsed.values())
    s.flush()
    audit.record(s, g.user.username, "calendar.edit", "calendar", before, _overrides_json(s))
    s.commit()
    return jsonify({"overrides": _overrides_json(s)})
