"""Checks on item fields coming from the API or the HTML forms; errors are (code, params) per field."""
from __future__ import annotations

from datetime import datetime

from content.model import MAX_YEAR, MIN_YEAR, AudiencePlan, in_years
from server.i18n import msg

MAX_TITLE = 200
MAX_COMMENT = 2000   # workflow comments, reasons and notes


def limited(value: str, field: str, limit: int = MAX_COMMENT) -> str:
    """`value` unchanged if it fits, else a 422 too_long on `field`."""
    if len(value or "") > limit:
        raise ServiceError(422, "invalid", {field: ("too_long", {"max": limit})})
    return value


class ServiceError(Exception):
    """A refusal the caller can show: HTTP-ish status, message code, per-field errors."""

    def __init__(self, status: int, code: str, fields: dict | None = None, **params):
        super().__init__(code)
        self.status = status
        self.code = code
        self.fields = fields or {}
        self.params = params


def text_fields(data, *names: str) -> dict[str, str]:
    """The named fields as strings ("" when absent or null); any other type is a 422 on that field.
    Forms always give strings; JSON bodies may not."""
    out, errors = {}, {}
    for name in names:
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = ("invalid", {})
        out[name] = value if isinstance(value, str) else ""
    if errors:
        raise ServiceError(422, "invalid", errors)
    return out


def parse_time(value, field: str, errors: dict) -> datetime | None:
    """ISO 8601 with an offset, or None for empty."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors[field] = ("bad_window", {"detail": msg("window.not_string")})
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        errors[field] = ("bad_window", {"detail": msg("window.unreadable", value=value[:40])})
        return None
    if when.tzinfo is None:
        errors[field] = ("bad_window", {"detail": msg("window.no_zone")})
        return None
    if not in_years(when):
        errors[field] = ("bad_window", {"detail": msg("window.years", min=MIN_YEAR, max=MAX_YEAR)})
        return None
    return when


def clean_item_fields(data: dict, *, max_body: int, partial: bool) -> tuple[dict, dict]:
    """Validated values and field errors for title, body, audiences, window and sensitive."""
    clean, errors = {}, {}
    if "title" in data or not partial:
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            errors["title"] = ("required", {})
        elif len(title.strip()) > MAX_TITLE:
            errors["title"] = ("too_long", {"max": MAX_TITLE})
        else:
            clean["title"] = title.strip()
    if "body" in data:
        body = data.get("body") or ""
        if not isinstance(body, str):
            errors["body"] = ("invalid", {})
        elif len(body.encode("utf-8")) > max_body:
            errors["body"] = ("body_too_large", {"max": max_body})
        else:
            clean["body"] = body
    if data.get("audiences") is not None:
        try:
            clean["audiences"] = AudiencePlan.from_list(data["audiences"]).to_list()
        except (ValueError, TypeError):
            errors["audiences"] = ("bad_audiences", {})
    if "window" in data and data["window"] is not None:
        _clean_window(data["window"], clean, errors)
    if "sensitive" in data:
        if not isinstance(data["sensitive"], bool):
            errors["sensitive"] = ("invalid", {})
        else:
            clean["sensitive"] = data["sensitive"]
    return clean, errors


def _clean_window(window, clean: dict, errors: dict) -> None:
    if not isinstance(window, dict):
        errors["window"] = ("bad_window", {"detail": msg("window.not_object")})
        return
    start = parse_time(window.get("start"), "window", errors)
    end = parse_time(window.get("end"), "window", errors)
    if "window" in errors:
        return
    if start and end and end <= start:
        errors["window"] = ("bad_window", {"detail": msg("window.end_first")})
        return
    clean["window_start"], clean["window_end"] = start, end
