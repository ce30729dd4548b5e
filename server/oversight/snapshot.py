"""The monthly report (server/oversight/monthly_report.py `build`) frozen as JSON and thawed back.

A submitted report must read the same forever, so what the page and the PDF show is stored, not
recomputed: dates become {"$date": "YYYY-MM-DD"}, the unit {"$unit": {code, name, name_en}}; thawing
gives back a dict the report template and `render_pdf` take unchanged. `plain` is the API's view
(dates as ISO strings). Anything else that is not JSON is refused, so a new kind of value in the
report fails loudly here instead of being stored as an unreadable string."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from server.models import Unit


def freeze(value):
    """The report (or any part of it) as JSON-ready data."""
    if isinstance(value, Unit):
        return {"$unit": {"code": value.code, "name": value.name, "name_en": value.name_en or ""}}
    if isinstance(value, datetime):
        raise TypeError("the report holds dates, not datetimes")
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): freeze(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [freeze(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot freeze {type(value).__name__} into a report snapshot")


def thaw(value):
    """The frozen report as the template and the PDF renderer read it (dates and a unit-like object)."""
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return date.fromisoformat(value["$date"])
        if set(value) == {"$unit"}:
            return SimpleNamespace(**value["$unit"])
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [thaw(v) for v in value]
    return value


def plain(value):
    """The frozen report for JSON readers: ISO dates, the unit as {code, name, name_en}."""
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return value["$date"]
        if set(value) == {"$unit"}:
            return dict(value["$unit"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
