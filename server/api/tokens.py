"""POST /api/v1/tokens: trade a user name and password for a bearer token."""
from __future__ import annotations

from flask import jsonify, request

from server import db, ratelimit
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
        user = authenticate(s, username, password, ratelimit.client())
    except LoginLocked as exc:
        raise ServiceError(429, exc.code, **({"seconds": exc.seconds} if exc.code == "login_slowed" else {})) from None
    if user is None:
        raise ServiceError(401, "login_failed")
    return jsonify({"token": issue_token(s, user)}), 201
