"""Input bounds at the edge, one set for the JSON API and the HTML forms: whatever gets past here is
small, finite and storable on SQLite and PostgreSQL alike, so a hostile request earns a 4xx, never a
traceback.

- JSON bodies: no NaN/Infinity (nor numbers that overflow to them, 1e999), integers within 64 bits,
  no lone surrogates, no NUL, nesting at most MAX_DEPTH, no string longer than the text backstop.
- Form fields and query arguments: no NUL, no value longer than the text backstop.
- Ids: a number that cannot be a 64-bit row id is simply not found (`<int:…>` routes and `as_id`).
- Dates and times: within content.model.MIN_YEAR..MAX_YEAR (`day_in_range`, `time_in_range`).
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from content.model import MAX_YEAR, MIN_YEAR, in_years
from server.i18n import msg
from server.validation import ServiceError

MAX_ID = 2**63 - 1        # JSON integers: 64 bits
MAX_ROW_ID = 2**31 - 1    # row ids: every primary key is INTEGER, 32 bits on PostgreSQL
MAX_DEPTH = 32


def text_backstop(app=None) -> int:
    """The longest single text value accepted anywhere (each field has its own, smaller limit; this
    catches the ones that forget): twice the item body's byte limit, counted in characters, so a
    body just over its limit still gets the body's own message."""
    return 2 * int((app or current_app).config["MAX_BODY_BYTES"])


def _refuse(detail: tuple[str, dict], field: str | None = None) -> ServiceError:
    fields = {field: ("bad_input", {"detail": detail})} if field else None
    return ServiceError(422, "bad_input", fields, detail=detail)


def _bad_string(value: str, longest: int) -> tuple[str, dict] | None:
    if "\x00" in value:
        return msg("input.nul")
    if len(value) > longest:
        return msg("input.too_long", max=longest)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return msg("input.surrogate")
    return None


def check_value(value, longest: int) -> None:
    """Walk a parsed JSON value (without recursion) and refuse what cannot be stored or shown;
    `longest` is the text backstop."""
    stack = [(value, 1, None)]
    while stack:
        node, depth, field = stack.pop()
        if depth > MAX_DEPTH:
            raise _refuse(msg("input.too_deep", max=MAX_DEPTH))
        if isinstance(node, str):
            problem = _bad_string(node, longest)
            if problem:
                raise _refuse(problem, field)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if not -MAX_ID - 1 <= node <= MAX_ID:
                raise _refuse(msg("input.big_number"), field)
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise _refuse(msg("input.not_finite"), field)
        elif isinstance(node, dict):
            for key, item in node.items():
                name = field or (key if depth == 1 and isinstance(key, str) and len(key) <= 64 else None)
                stack.append((key, depth + 1, name))
                stack.append((item, depth + 1, name))
        elif isinstance(node, list):
            stack.extend((item, depth + 1, field) for item in node)


def _no_constant(name: str):
    raise _refuse(msg("input.not_finite"))


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with the edge checks: request.get_json() never hands a view an unstorable value.
    A ServiceError is not a ValueError, so even get_json(silent=True) lets the 422 through."""

    def loads(self, s, **kwargs):
        if isinstance(s, bytes):
            try:
                s = s.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("not UTF-8") from None
        try:
            value = json.loads(s, parse_constant=_no_constant, **kwargs)
        except RecursionError:
            raise _refuse(msg("input.too_deep", max=MAX_DEPTH)) from None
        check_value(value, text_backstop(self._app))
        return value


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: more than 19 digits do not match the route at all (404); an id
    beyond what a primary key holds (32 bits on PostgreSQL) becomes 0, an id no row has, so the view
    answers its own 404 instead of the database refusing the query."""

    regex = r"\d{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ROW_ID else 0


def as_id(value) -> int | None:
    """A row id from a form field, query argument or JSON value; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            return None
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ROW_ID:
        return value
    return None


def day_in_range(day: date) -> bool:
    return in_years(day)


def time_in_range(when: datetime) -> bool:
    return in_years(when)


def check_request() -> None:
    """before_request: NUL or an endless value in a query argument or form field is a 422."""
    values = list(request.args.values())
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        values += list(request.form.values())
    longest = text_backstop()
    for value in values:
        problem = _bad_string(value, longest)
        if problem:
            raise _refuse(problem)


def init_app(app) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request(check_request)


YEARS = (MIN_YEAR, MAX_YEAR)
