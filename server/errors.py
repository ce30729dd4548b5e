"""Errors are values people can read: JSON {"error", "fields"} for the API, a page for humans."""
from __future__ import annotations

from flask import g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from server.i18n import t
from server.validation import ServiceError

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_big", 500: "server_error"}


PUBLIC_PREFIXES = ("f", "t", "r")   # the phone pages' paths (also when routing itself refused them)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def field_messages(fields: dict) -> dict:
    """Field → readable message, from (code, params) pairs."""
    return {name: t(code, **params) for name, (code, params) in fields.items()}


def back_link() -> str | None:
    """The page the person came from, if it was one of ours (never a link off-site), for "go back"."""
    ref = request.referrer or ""
    here = request.host_url.rstrip("/")
    return ref if ref.startswith(here + "/") and ref.split("#")[0] != request.url else None


def error_response(status: int, code: str, fields: dict | None = None, **params):
    """JSON under /api/; otherwise a page that says what went wrong and where to go next, under the
    public header on the public pages and the staff header elsewhere; no bare status codes."""
    text = t(code, **params)
    if wants_json():
        return jsonify({"error": text, "code": code, "fields": field_messages(fields or {})}), status
    public = request.blueprint == "public" or request.path.split("/")[1] in PUBLIC_PREFIXES
    template = "public/error.html" if public else "error.html"
    if template == "error.html" and g.get("user") is None:   # refused before the staff guard ran (405, 404)
        g.user = _signed_in()
    return render_template(template, status=status, error=text, back=back_link(),
                           fields=field_messages(fields or {})), status


def _signed_in():
    """The staff member of this session, if any (for the links on an error page)."""
    from flask import session
    from server import db
    from server.auth import load_user
    try:
        return load_user(db.session(), request, session)
    except Exception:   # an error page must render even when the database is what failed
        return None


def init_app(app) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return error_response(exc.status, exc.code, exc.fields, **exc.params)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = HTTP_CODES.get(exc.code, "bad_request")
        params = {"max": app.config["MAX_UPLOAD_BYTES"]} if exc.code == 413 else {}
        return error_response(exc.code or 400, code, **params)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "server_error")
