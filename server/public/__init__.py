"""Public phone pages (docs/architecture.md, public pages): /f/<screen_code> feedback, /t/<code> tracking, /r requests.

__init__: the blueprint, per-client rate limit, idempotency keys, honeypot. Strings: server/strings.
views: the pages themselves. No JavaScript; every form works with plain POSTs.
"""
from __future__ import annotations

import hashlib
import re
import secrets

from flask import Blueprint, current_app
from werkzeug.datastructures import MultiDict

from server.guard import ratelimit


bp = Blueprint("public", __name__)
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HONEYPOT = "website"
RATE_LIMIT = 10        # submissions per client and window (PUBLIC_RATE_LIMIT)
RATE_WINDOW = 60.0     # seconds (PUBLIC_RATE_WINDOW)


def allowed(scope: str) -> bool:
    """One more POST from this client within the public rate limit? Counted in the database, so
    every server process shares it (server/guard/ratelimit.py)."""
    cfg = current_app.config
    return ratelimit.hit(f"public-{scope}", ratelimit.client(), int(cfg.get("PUBLIC_RATE_LIMIT", RATE_LIMIT)),
                         float(cfg.get("PUBLIC_RATE_WINDOW", RATE_WINDOW)))


def lookup_allowed(number: str) -> bool:
    """One more lookup by phone number from this client, and for this number (whoever asks), within
    LOOKUP_RATE_LIMIT per LOOKUP_RATE_WINDOW seconds? The number is kept only as a hash."""
    cfg = current_app.config
    limit, window = int(cfg["LOOKUP_RATE_LIMIT"]), float(cfg["LOOKUP_RATE_WINDOW"])
    number_key = hashlib.sha256(number.encode()).hexdigest()[:24]
    return (ratelimit.hit("lookup", ratelimit.client(), limit, window)
            and ratelimit.hit("lookup-number", number_key, limit, window))


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
