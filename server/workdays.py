"""The server's working-day calendar: the package's calendar plus the admin override table."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.calendar import WorkingDayCalendar
from server.models import CalendarOverride


def calendar_for(s: Session) -> WorkingDayCalendar:
    """A calendar that knows the overrides stored in this instance."""
    rows = s.scalars(select(CalendarOverride)).all()
    return WorkingDayCalendar({row.day: row.working for row in rows})


def local_zone() -> timezone:
    """The hospital's time zone (working days are counted in local dates)."""
    return timezone(timedelta(hours=current_app.config["TIMEZONE_OFFSET_HOURS"]))


def local(when: datetime) -> datetime:
    return when.astimezone(local_zone())
