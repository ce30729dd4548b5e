"""Staff credentials in the API: POST /tokens trades a user name and password for a bearer token;
GET /tokens and DELETE /tokens/<id> list and revoke one's own; POST /password changes the password."""
from __future__ import annotations

from flask import g, jsonify, request

from server import auth, db
from server.guard import ratelimit
from server.api import bp, json_body
from server.auth import LoginLocked, authenticate, issue_token
from server.validation import ServiceError, text_fields


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
        if exc.code == "login_slowed":
            raise ServiceError(429, "login_slowed", seconds=exc.seconds) from None
        raise ServiceError(429, "login_locked") from None
    if user is None:
        raise ServiceError(401, "login_failed")
    return jsonify({"token": issue_token(s, user)}), 201


def _bearer() -> str:
    return request.headers.get("Authorization", "")[7:].strip()


@bp.get("/tokens")
def list_tokens():
    """The caller's own tokens that have not expired (never the token strings: only their hashes exist)."""
    s = db.session()
    current = auth.token_id_of(s, _bearer())
    return jsonify([{"id": tok.id, "created_at": tok.created_at.isoformat(), "expires_at": tok.expires_at.isoformat(),
                     "current": tok.id == current} for tok in auth.user_tokens(s, g.user)])


@bp.delete("/tokens/<int:token_id>")
def delete_token(token_id: int):
    """Revoke one of the caller's tokens (this one too); 404 for anyone else's."""
    auth.revoke_token(db.session(), g.user, token_id)
    return "", 204


@bp.post("/password")
def change_password():
    """{"current", "new"}: a new password; every session and token of the caller ends, and the
    answer carries a fresh token."""
    data = json_body()
    fields = text_fields(data, "current", "new")
    s = db.session()
    auth.change_password(s, g.user, fields["current"], fields["new"])
    return jsonify({"token": issue_token(s, g.user)}), 200
