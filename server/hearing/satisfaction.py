"""评议 satisfaction and monthly figures: ratings from screens' taps and tracking pages per screen,
category and month; a unit under 80 % satisfied in a month is flagged 需整改."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.screens.models import Device, DeviceEvent
from server.hearing.feedback import RATINGS, on_time
from server.hearing.models import Feedback
from content.model import MAX_YEAR, MIN_YEAR
from server.models import Unit
from server.workdays import local_zone


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """UTC bounds of a local month "2026-03"; ValueError for anything else (or outside MIN_YEAR..MAX_YEAR)."""
    year, mon = (int(x) for x in month.split("-"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"month outside {MIN_YEAR}..{MAX_YEAR}")
    start = datetime(year, mon, 1, tzinfo=local_zone())
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=local_zone())
    return start, end


def pct(good: int, total: int) -> float | None:
    return round(100.0 * good / total, 1) if total else None


RATING_WORDS = {"satisfied": "satisfied", "basic": "basic", "unsatisfied": "unsatisfied",
                "满意": "satisfied", "基本满意": "basic", "不满意": "unsatisfied",
                3: "satisfied", 2: "basic", 1: "unsatisfied"}
FLAG_BELOW = 80.0
SCOPES = ("unit", "screen", "category", "department")  # what a row of satisfaction() counts


def rating_of(value) -> str | None:
    """A kiosk tap's rating as satisfied / basic / unsatisfied (strings or 3/2/1)."""
    return RATING_WORDS.get(value) if isinstance(value, (str, int)) else None


def satisfaction(s: Session, unit: Unit, month: str) -> dict:
    """评议 for one local month: kiosk taps per screen and category, handling ratings per department;
    满意率 = (满意 + 基本满意) / all; any group under 80 % is flagged 需整改."""
    start, end = month_bounds(month)
    groups: dict[tuple[str, str], list[int]] = {}

    def add(kind: str, name: str, rating: str | None) -> None:
        if rating is None:
            return
        counts = groups.setdefault((kind, name or "—"), [0, 0, 0])
        counts[RATINGS.index(rating)] += 1

    taps = s.execute(select(DeviceEvent, Device).join(Device, Device.id == DeviceEvent.device_id)
                     .where(Device.unit_id == unit.id, DeviceEvent.type == "rating",
                            DeviceEvent.at >= start, DeviceEvent.at < end))
    for event, device in taps:
        rating = rating_of((event.data or {}).get("rating"))
        add("screen", device.name or device.screen_code or device.id, rating)
        add("category", str((event.data or {}).get("category") or "—"), rating)
        add("unit", unit.name, rating)
    rated = s.scalars(select(Feedback).where(Feedback.unit_id == unit.id, Feedback.rated_at >= start,
                                             Feedback.rated_at < end))
    for fb in rated:
        add("department", fb.department, fb.rating)
        add("unit", unit.name, fb.rating)
    rows = []
    for (kind, name), counts in sorted(groups.items()):
        total = sum(counts)
        rate_ = pct(counts[0] + counts[1], total)
        rows.append({"kind": kind, "name": name, "satisfied": counts[0], "basic": counts[1],
                     "unsatisfied": counts[2], "total": total, "pct": rate_,
                     "flag": rate_ is not None and rate_ < FLAG_BELOW})
    return {"month": month, "rows": rows, "flagged": any(r["flag"] for r in rows)}


def month_figures(s: Session, unit: Unit, month: str) -> dict:
    """This month's feedback received, answered on time, and satisfaction (for the statistics slide)."""
    start, end = month_bounds(month)
    rows = s.scalars(select(Feedback).where(Feedback.unit_id == unit.id, Feedback.received_at >= start,
                                            Feedback.received_at < end)).all()
    answered = [fb for fb in rows if fb.answered_at is not None]
    timely = sum(1 for fb in answered if on_time(fb))
    unit_row = next((r for r in satisfaction(s, unit, month)["rows"] if r["kind"] == "unit"), None)
    return {"received": len(rows), "answered": len(answered), "on_time": timely,
            "on_time_pct": pct(timely, len(answered)), "satisfaction_pct": unit_row and unit_row["pct"]}
