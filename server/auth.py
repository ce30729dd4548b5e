"""Staff identity: password checks with a login rate limit, bearer tokens, roles per unit."""
from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta, timezone

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from content.model import Role
from server.guard import ratelimit
from server.models import ApiToken, LoginFailure, RoleGrant, StaffSession, Unit, User, utcnow
from server.validation import ServiceError

# Roles a bureau grant carries down to the bureau's member units.
INHERITED_FROM_BUREAU = frozenset({Role.SUPERVISOR, Role.APPROVER})
_DUMMY_HASH = generate_password_hash("timing-equaliser")


class LoginLocked(Exception):
    """Too many failed logins: for this name from this client, from this client across names, or
    (back-off) for this name from anywhere. `seconds`: when to try again."""

    def __init__(self, seconds: int, code: str = "login_locked"):
        super().__init__(code)
        self.seconds, self.code = max(1, int(seconds)), code


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def _backoff(db: Session, name: str, now) -> float:
    """Seconds this name must still wait: after LOGIN_MAX_FAILURES failures within the window from
    any clients, each further attempt waits twice as long as the last (at most
    LOGIN_BACKOFF_MAX_SECONDS) after the latest failure: an attack slows the account down, it does
    not lock its owner out."""
    cfg = current_app.config
    since = now - timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    count, last = db.execute(select(func.count(), func.max(LoginFailure.at))
                             .where(LoginFailure.username == name, LoginFailure.at >= since)).one()
    over = count - cfg["LOGIN_MAX_FAILURES"]
    if over < 0 or last is None:
        return 0
    last = last if last.tzinfo else last.replace(tzinfo=timezone.utc)
    delay = min(float(cfg["LOGIN_BACKOFF_MAX_SECONDS"]), 2.0 ** over)
    return delay - (now - last).total_seconds()


def authenticate(db: Session, username: str, password: str, client: str) -> User | None:
    """The active user with these credentials, or None; raises LoginLocked when rate-limited."""
    cfg = current_app.config
    window = cfg["LOGIN_WINDOW_SECONDS"]
    name = username.strip().lower()[:64]
    key = f"{name}|{client}"[:200]
    now = utcnow()
    if ratelimit.used("login-client", client, window) >= cfg["LOGIN_CLIENT_MAX_FAILURES"]:
        raise LoginLocked(window)
    failures = db.scalar(select(func.count()).select_from(LoginFailure)
                         .where(LoginFailure.key == key, LoginFailure.at >= now - timedelta(seconds=window)))
    if failures >= cfg["LOGIN_MAX_FAILURES"]:
        raise LoginLocked(window)
    wait = _backoff(db, name, now)
    if wait > 0:
        raise LoginLocked(math.ceil(wait), "login_slowed")
    user = db.scalar(select(User).where(User.username == username.strip()))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        db.add(LoginFailure(key=key, username=name))
        db.commit()
        ratelimit.hit("login-client", client, cfg["LOGIN_CLIENT_MAX_FAILURES"], window)
        return None
    db.execute(delete(LoginFailure).where(LoginFailure.key == key))
    db.commit()
    return user


def issue_token(db: Session, user: User) -> str:
    """A new bearer token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["TOKEN_DAYS"]
    db.add(ApiToken(user_id=user.id, token_hash=_token_hash(token),
                    expires_at=utcnow() + timedelta(days=days)))
    db.commit()
    return token


def user_for_token(db: Session, token: str) -> User | None:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.expires_at < utcnow() or not row.user.active:
        return None
    return row.user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def roles_in(user: User, unit: Unit) -> frozenset[Role]:
    """Roles `user` holds in `unit`, including supervisor/approver granted on its bureau."""
    roles = set()
    for grant in user.grants:
        if grant.unit_id == unit.id:
            roles.add(Role(grant.role))
        elif unit.parent_id == grant.unit_id and Role(grant.role) in INHERITED_FROM_BUREAU:
            roles.add(Role(grant.role))
    return frozenset(roles)


def require_roles(user: User, unit: Unit, *roles: Role) -> frozenset[Role]:
    """The one role guard: 403 role_missing unless `user` holds one of `roles` in `unit`; returns the
    roles held there so callers can branch on them without asking again."""
    held = roles_in(user, unit)
    if not set(roles) & held:
        raise ServiceError(403, "role_missing")
    return held


def units_of(db: Session, user: User) -> list[Unit]:
    """Units the user holds any role in, plus members of bureaus where a role carries down."""
    direct = {grant.unit_id for grant in user.grants}
    carried = {grant.unit_id for grant in user.grants if Role(grant.role) in INHERITED_FROM_BUREAU}
    units = db.scalars(select(Unit).order_by(Unit.id)).all()
    return [u for u in units if u.id in direct or u.parent_id in carried]


def set_roles(db: Session, user: User, unit: Unit, roles) -> None:
    """Replace the user's roles in one unit."""
    for grant in [g for g in user.grants if g.unit_id == unit.id]:
        user.grants.remove(grant)
    db.flush()
    for role in sorted({Role(r) for r in roles}, key=lambda r: r.value):
        user.grants.append(RoleGrant(unit_id=unit.id, role=role.value))


def load_user(db: Session, request, session) -> User | None:
    """The staff user behind a Bearer token or the admin session cookie, if any. A cookie counts
    only while its server-side session (`sid`) has not been ended by logout, a password change or
    deactivation, so a copy of the cookie dies with the original."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return user_for_token(db, header[7:].strip())
    user_id, sid = session.get("user_id"), session.get("sid")
    if user_id is None or not isinstance(sid, str):
        return None
    row = db.scalar(select(StaffSession).where(StaffSession.sid_hash == _token_hash(sid)))
    if row is None or row.ended_at is not None or row.user_id != user_id:
        return None
    user = db.get(User, user_id)
    if user is None or not user.active:
        return None
    return user


# --- server-side sessions, passwords, tokens ------------------------------------------------------

MIN_PASSWORD = 8
MIN_STRENGTH = 3     # zxcvbn score 0–4; 3: "safely unguessable" even offline against a slow hash


def password_problem(password: str, hints=()) -> tuple[str, dict] | None:
    """Why a new password is refused, as (code, params), or None: shorter than MIN_PASSWORD, or
    guessable by zxcvbn (common passwords, words, names, dates, keyboard runs, the user name)."""
    if len(password) < MIN_PASSWORD:
        return "password_short", {}
    if len(password) > 200:
        return "too_long", {"max": 200}
    from zxcvbn import zxcvbn
    found = zxcvbn(password[:100], user_inputs=[h for h in hints if h])
    if found["score"] < MIN_STRENGTH:
        return "password_weak", {}
    return None


def start_session(db: Session, user: User) -> str:
    """A new server-side session for a browser; the cookie carries the returned sid."""
    sid = secrets.token_urlsafe(32)
    db.add(StaffSession(sid_hash=_token_hash(sid), user_id=user.id))
    db.commit()
    return sid


def end_session(db: Session, sid) -> None:
    if isinstance(sid, str):
        db.execute(update(StaffSession).where(StaffSession.sid_hash == _token_hash(sid),
                                              StaffSession.ended_at.is_(None)).values(ended_at=utcnow()))
        db.commit()


def end_everything(db: Session, user: User) -> None:
    """Every browser session and bearer token of the user ends (password change, deactivation)."""
    db.execute(update(StaffSession).where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
               .values(ended_at=utcnow()))
    db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def change_password(db: Session, user: User, current: str, new: str, actor: str | None = None) -> None:
    """Set a new password (the current one must be given unless an operator sets it: `actor`);
    every session and token of the user ends with it."""
    if actor is None and not check_password_hash(user.password_hash, current or ""):
        raise ServiceError(422, "invalid", {"current": ("password_wrong", {})})
    problem = password_problem(new or "", (user.username, user.display_name))
    if problem:
        raise ServiceError(422, "invalid", {"new": problem})
    from server import audit
    user.password_hash = hash_password(new)
    end_everything(db, user)
    audit.record(db, actor or user.username, "user.password", f"user:{user.username}", None, {"sessions": "ended"})
    db.commit()


def user_tokens(db: Session, user: User) -> list[ApiToken]:
    """The user's bearer tokens that have not expired, newest first."""
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at > utcnow())
                           .order_by(ApiToken.id.desc())))


def revoke_token(db: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; 404 for anyone else's."""
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise ServiceError(404, "not_found")
    from server import audit
    db.delete(row)
    audit.record(db, user.username, "token.revoke", f"user:{user.username}", {"token": token_id}, None)
    db.commit()


def token_id_of(db: Session, token: str) -> int | None:
    return db.scalar(select(ApiToken.id).where(ApiToken.token_hash == _token_hash(token)))
