"""查询码: tracking codes nobody can guess, the submitter's secret rating link, and finding one's
feedback again by phone number and submission date.

A code keeps its readable prefix and year (`FK-2026-`, `SQ-2026-`) and ends in two groups of five
characters drawn at random from an alphabet without 0/O or 1/I: 50 random bits, so reading other
people's cases by trying codes is hopeless. Codes handed out before (`FK-2026-000123`) still open their
page. Rating a reply needs the rating link given with the code: its key is an HMAC of the code under the
instance's SECRET_KEY, so it can be shown again to the same submitter (a double submit) without storing
it, and nobody who only knows the code can rate.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.hearing.models import Feedback
from server.workdays import local, local_zone

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"   # 32 symbols: 5 bits each; no 0/O, no 1/I
GROUPS, GROUP_SIZE = 2, 5                        # 50 random bits
_PART = f"[{ALPHABET}]{{{GROUP_SIZE}}}"
CODE = re.compile(rf"^(FK|SQ)-\d{{4}}-(?:{_PART}-{_PART}|\d{{6}})$")  # new codes, and the sequential old ones
MIN_PHONE_DIGITS = 7
MAX_MATCHES = 20


def new_code(s: Session, model, prefix: str, when: datetime) -> str:
    """A fresh random code like FK-2026-7K3MQ-9XT4P, not used by any row of `model` yet."""
    for _ in range(10):
        groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS))
        code = f"{prefix}-{local(when).year}-" + "-".join(groups)
        if s.scalar(select(model.id).where(model.code == code)) is None:
            return code
    raise RuntimeError("no free tracking code after 10 draws")  # 2**50 codes: never in practice


def normalise(text: str) -> str:
    """What people type (lower case, spaces) as a code to compare."""
    return re.sub(r"\s+", "", text or "").upper()


def rating_key(code: str) -> str:
    """The secret part of the rating link for this code (26 characters, 130 bits)."""
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), b"gongkai-rating|" + code.encode(),
                   hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii")[:26].lower()


def rating_url(code: str) -> str:
    """The submitter's rating link: the tracking page under PUBLIC_BASE_URL with the key."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/t/{code}?key={rating_key(code)}"


def rating_key_ok(code: str, key) -> bool:
    return isinstance(key, str) and hmac.compare_digest(rating_key(code), key.strip().lower())


def phone_digits(phone: str) -> str:
    """The number's digits, without a +86 / 0086 in front of an 11-digit mobile number."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits


def by_phone_and_day(s: Session, phone: str, day: date) -> list[Feedback]:
    """Feedback left with this phone number on this local date (at most MAX_MATCHES, oldest first)."""
    digits = phone_digits(phone)
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    start = datetime.combine(day, time(0), tzinfo=local_zone())
    rows = s.scalars(select(Feedback).where(Feedback.received_at >= start,
                                            Feedback.received_at < start + timedelta(days=1),
                                            Feedback.phone != "").order_by(Feedback.id)).all()
    return [fb for fb in rows if phone_digits(fb.phone) == digits][:MAX_MATCHES]
