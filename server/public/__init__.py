"""Public phone pages (docs/architecture.md, public pages): /f/<screen_code> feedback, /t/<code> tracking, /r requests.

__init__: the blueprint, per-client rate limit, idempotency keys, honeypot. Strings: server/strings.
views: the pages themselves. No JavaScript; every form works with plain POSTs.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict, deque

from flask import Blueprint, current_app, request
from werkzeug.datastructures import MultiDict


bp = Blueprint("public", __name__)
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HONEYPOT = "website"
RATE_LIMIT = 10        # submissions per client and window (PUBLIC_RATE_LIMIT)
RATE_WINDOW = 60.0     # seconds (PUBLIC_RATE_WINDOW)
MAX_CLIENTS = 20000


class RateLimiter:
    """Sliding window per client, in memory; the least recently seen clients are forgotten first,
    so a flood from one address only ever fills its own window."""

    def __init__(self):
        self._hits: OrderedDict[str, deque] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, limit: int, window: float, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.pop(client, None) or deque()
            while hits and hits[0] <= now - window:
                hits.popleft()
            ok = limit <= 0 or len(hits) < limit
            if ok:
                hits.append(now)
            self._hits[client] = hits
            while len(self._hits) > MAX_CLIENTS:
                self._hits.popitem(last=False)
            return ok


def limiter() -> RateLimiter:
    return current_app.extensions.setdefault("gongkai.public_limiter", RateLimiter())


def allowed(scope: str) -> bool:
    """One more POST from this client within the public rate limit?"""
    cfg = current_app.config
    client = f"{scope}|{request.remote_addr or '?'}"
    return limiter().allow(client, int(cfg.get("PUBLIC_RATE_LIMIT", RATE_LIMIT)),
                           float(cfg.get("PUBLIC_RATE_WINDOW", RATE_WINDOW)))


def lookup_allowed(number: str) -> bool:
    """One more lookup by phone number from this client, and for this number (whoever asks), within
    LOOKUP_RATE_LIMIT per LOOKUP_RATE_WINDOW seconds? The number is kept only as a hash."""
    cfg = current_app.config
    limit, window = int(cfg["LOOKUP_RATE_LIMIT"]), float(cfg["LOOKUP_RATE_WINDOW"])
    number_key = hashlib.sha256(number.encode()).hexdigest()[:24]
    return (limiter().allow(f"lookup|{request.remote_addr or '?'}", limit, window)
            and limiter().allow(f"lookup-number|{number_key}", limit, window))


def new_key() -> str:
    """A fresh idempotency key for one rendering of a form."""
    return secrets.token_urlsafe(18)


def sent_key(form: MultiDict) -> str | None:
    key = form.get("k", "")
    return key if KEY.match(key) else None


def is_bot(form: MultiDict) -> bool:
    """The honeypot field, invisible to people, was filled in."""
    return bool(form.get(HONEYPOT, "").strip())


from server.public import views  # noqa: E402,F401
