"""Staff JSON API under /api/v1 (docs/architecture.md, staff API): bearer tokens, catalog, items and their workflow."""
from __future__ import annotations

import functools

from flask import Blueprint, g, request

from server import db
from server.auth import load_user, units_of
from server.errors import error_response
from server.models import Unit
from server.validation import ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.create_token", "api.openapi"}


@bp.before_request
def _require_token():
    """Every staff endpoint needs a valid bearer token (the HTML UI has its own session)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    user = load_user(db.session(), request, {}) if header.startswith("Bearer ") else None
    if user is None:
        raise ServiceError(401, "unauthorized")
    g.user = user
    return None


def answers(view):
    """A view whose service refusals (ServiceError) come back as {"error", "code", "fields"} in
    Chinese (or English), after rolling back what the view had begun."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ServiceError as exc:
            db.session().rollback()
            return error_response(exc.status, exc.code, exc.fields, **exc.params)
    return wrapper


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError(400, "bad_json")
    return data


def caller_unit(code: str | None = None) -> Unit:
    """The unit named by ?unit= (or `code`), else the caller's first unit; 403 if not theirs."""
    code = code or request.args.get("unit")
    units = units_of(db.session(), g.user)
    if not units:
        raise ServiceError(403, "forbidden")
    if code is None:
        return units[0]
    for unit in units:
        if unit.code == code:
            return unit
    raise ServiceError(403, "forbidden")


from server.api import alerts, calendar, catalog, commitments, items, openapi, tokens  # noqa: E402,F401  (routes register on bp)
from server.api import feedback, screens  # noqa: E402,F401  (反馈 and 依申请公开, 屏幕管理)
from server.api import boards  # noqa: E402,F401  (公开栏 prints)
from server.api import circulars  # noqa: E402,F401  (督查通报)
from server.api import submissions  # noqa: E402,F401  (信息报送)
