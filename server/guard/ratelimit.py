"""Rate limits shared by every server process: `hit(scope, key, limit, window)` counts one request
and says whether it is allowed. The count lives in the database (table rate_hit), so `--workers N`
does not multiply a limit, and a restart does not reset it.

Exact sliding window: each allowed request is one row; a request is allowed while fewer than
`limit` rows of its (scope, key) lie within the last `window` seconds. Refused requests store
nothing, so a flood cannot grow the table. Count and insert happen under one lock per key
(SQLite: the database write lock its first DELETE takes; PostgreSQL: a transaction advisory lock).

`client()` is the address limits are keyed by: the TCP peer, or with TRUSTED_PROXIES set the
address the trusted proxy reports (werkzeug ProxyFix, installed by create_app only then).
"""
from __future__ import annotations

import random
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, func, insert, select, text

from server.models import RateHit, utcnow

SWEEP_CHANCE = 0.01          # share of hits that also drop every scope's rows older than a day


def client() -> str:
    """The caller's address as limits see it."""
    return request.remote_addr or "?"


def hit(scope: str, key: str, limit: int, window: float, now=None) -> bool:
    """Count one request of `key` in `scope`: True (and counted) while under `limit` requests in
    the last `window` seconds; False when over. A limit of 0 or less means no limit."""
    if limit <= 0:
        return True
    now = now or utcnow()
    since = now - timedelta(seconds=window)
    key = key[:200]
    engine = current_app.extensions["gongkai.engine"]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{scope}|{key}"})
        conn.execute(delete(RateHit).where(RateHit.scope == scope, RateHit.key == key, RateHit.at <= since))
        used = conn.scalar(select(func.count()).select_from(RateHit)
                           .where(RateHit.scope == scope, RateHit.key == key))
        if used >= limit:
            return False
        conn.execute(insert(RateHit).values(scope=scope, key=key, at=now))
        if random.random() < SWEEP_CHANCE:
            conn.execute(delete(RateHit).where(RateHit.at < now - timedelta(days=1)))
    return True


def used(scope: str, key: str, window: float) -> int:
    """How many requests of `key` were counted in the last `window` seconds (without counting)."""
    engine = current_app.extensions["gongkai.engine"]
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(RateHit).where(
            RateHit.scope == scope, RateHit.key == key, RateHit.at > utcnow() - timedelta(seconds=window)))


def forget(scope: str, key: str) -> None:
    """Drop the counted requests of `key` (e.g. a successful login clears its failures)."""
    with current_app.extensions["gongkai.engine"].begin() as conn:
        conn.execute(delete(RateHit).where(RateHit.scope == scope, RateHit.key == key[:200]))
