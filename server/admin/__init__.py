"""Staff HTML UI under /admin (Chinese first, no JavaScript needed).

__init__: the blueprint, login and CSRF guard, unit choice. views_auth: login/logout.
views_items: work queue, list, item page, actions. views_edit: new and edit forms.
views_catalog / views_users / views_screens: admin pages. forms: form → service dicts.
render: Markdown and display helpers. Strings: server/strings, read through server/i18n.py.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, redirect, request, session, url_for

from server import db
from server.admin import render
from server.auth import load_user, roles_in, units_of
from server.i18n import LANGUAGES
from server.validation import ServiceError

bp = Blueprint("admin", __name__, url_prefix="/admin")
OPEN_ENDPOINTS = {"admin.login"}


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    sent = request.form.get("csrf_token", "")
    if not sent or not session.get("csrf") or not secrets.compare_digest(sent, session["csrf"]):
        raise ServiceError(400, "csrf")


def choose_unit(code: str | None = None):
    """The unit asked for (?unit=), else the one in the session, else the user's first unit."""
    if not g.units:
        raise ServiceError(403, "no_units")
    code = code or request.args.get("unit")
    if code:
        unit = next((u for u in g.units if u.code == code), None)
        if unit is None:
            raise ServiceError(403, "forbidden")
        session["unit"] = code
        return unit
    return next((u for u in g.units if u.code == session.get("unit")), g.units[0])


@bp.before_request
def _guard():
    """Chinese unless English was chosen here; CSRF on POSTs; login and a unit for the rest."""
    if request.args.get("lang") not in LANGUAGES and session.get("lang") not in LANGUAGES:
        g.lang = current_app.config.get("DEFAULT_LANGUAGE", "zh")
    if request.endpoint in OPEN_ENDPOINTS:
        if request.method == "POST":
            check_csrf()
        return None
    s = db.session()
    user = load_user(s, request, session)
    if user is None:
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    g.user = user   # known before the CSRF check, so its error page leads back to the work queue
    if request.method == "POST":
        check_csrf()
    g.units = units_of(s, user)
    g.unit = choose_unit()
    g.roles = roles_in(user, g.unit)
    return None


def set_unit(unit) -> None:
    """Show pages for `unit` (e.g. the unit of the item being viewed)."""
    g.unit = unit
    g.roles = roles_in(g.user, unit)
    session["unit"] = unit.code


def has_role(name: str) -> bool:
    return any(r.value == name for r in g.get("roles", ()))


def here(**changes) -> str:
    """This page's address with some query arguments changed (language, unit, filters)."""
    args = request.args.to_dict()
    args.update(changes)
    return request.path + "?" + urlencode({k: v for k, v in args.items() if v not in (None, "")})


TEMPLATE_GLOBALS = {"csrf_token": csrf_token, "has_role": has_role, "here": here}
for _name, _fn in TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_fn, _name)
for _name, _fn in render.FILTERS.items():
    bp.add_app_template_filter(_fn, _name)

from server.admin import (views_auth, views_catalog, views_edit, views_feedback,  # noqa: E402,F401
                          views_items, views_screens, views_users)
from server.admin import views_compliance  # noqa: E402,F401
from server.admin import views_commitments  # noqa: E402,F401
from server.admin import views_signage  # noqa: E402,F401
from server.admin import views_account  # noqa: E402,F401
from server.admin import views_branding  # noqa: E402,F401
from server.admin import views_boards  # noqa: E402,F401
from server.admin import views_circulars  # noqa: E402,F401
from server.admin import views_submissions  # noqa: E402,F401
