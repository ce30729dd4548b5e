"""POST /api/v1/tokens: trade a user name and password for a bearer token."""
from __future__ import annotations

from flask import jsonify, request

from server import db
from server.api import bp, json_body
from server.auth import LoginLocked, authenticate, issue_token
from server.validation import ServiceError


@bp.post("/tokens")
def create_token():
    """Log in for the JSON API; wrong credentials get one generic answer."""
    data = json_body()
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ServiceError(422, "invalid", {"username": ("required", {}), "password": ("required", {})})
    s = db.session()
    try:
        user = authenticate(s, username, password, request.remote_addr or "-")
    except LoginLocked:
        raise ServiceError(429, "login_locked") from None
    if user is None:
        raise ServiceError(401, "login_failed")
    return jsonify({"token": issue_token(s, user)}), 201
