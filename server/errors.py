"""Errors are values people can read: JSON {"error", "fields"} for the API, a page for humans."""
from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from server.i18n import t
from server.validation import ServiceError

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "too_big", 500: "server_error"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def field_messages(fields: dict) -> dict:
    """Field → readable message, from (code, params) pairs."""
    return {name: t(code, **params) for name, (code, params) in fields.items()}


def error_response(status: int, code: str, fields: dict | None = None, **params):
    text = t(code, **params)
    if wants_json():
        return jsonify({"error": text, "code": code, "fields": field_messages(fields or {})}), status
    return render_template("error.html", status=status, error=text,
                           fields=field_messages(fields or {})), status


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
