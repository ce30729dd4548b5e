"""Retention of personal data (个人信息保存期限): N months after a feedback or request is closed, its
name, phone / contact, ID number and photo are erased; type, category, screen, dates, ratings and
status stay, so the statistics do not change. Nothing is erased while FEEDBACK_PERSONAL_DATA_MONTHS
is 0 (the default). Each erasure is one audit entry naming the fields, never their values."""
from __future__ import annotations

import os
import threading
from datetime import datetime

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from server import audit, db
from server.screens.models import MediaVariant
from server.hearing.models import Feedback, InfoRequest
from server.models import Attachment, utcnow

SETTING = "FEEDBACK_PERSONAL_DATA_MONTHS"
DAY_SECONDS = 24 * 3600
LOCK_KEY = 7_410_001  # PostgreSQL advisory lock: one purge at a time across server processes


def months_before(now: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the day clamped to the shorter month)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return now.replace(year=year, month=month, day=min(now.day, last))


def due_feedback(s: Session, cutoff: datetime) -> list[Feedback]:
    return s.scalars(select(Feedback).where(
        Feedback.status == "closed", Feedback.closed_at < cutoff,
        or_(Feedback.name != "", Feedback.phone != "", Feedback.photo_sha.is_not(None)))
        .order_by(Feedback.id)).all()


def due_requests(s: Session, cutoff: datetime) -> list[InfoRequest]:
    return s.scalars(select(InfoRequest).where(
        InfoRequest.status == "closed", InfoRequest.closed_at < cutoff,
        or_(InfoRequest.name != "", InfoRequest.contact != "", InfoRequest.id_number != ""))
        .order_by(InfoRequest.id)).all()


def _erase(row, fields: dict) -> list[str]:
    """Blank the fields that hold something; the names of those erased."""
    erased = [name for name, blank in fields.items() if getattr(row, name) not in (None, "")]
    for name in erased:
        setattr(row, name, fields[name])
    return erased


def _photo_unused(s: Session, sha: str) -> bool:
    return not any(s.scalar(select(q)) for q in (
        select(Feedback.id).where(Feedback.photo_sha == sha).exists(),
        select(Attachment.id).where(Attachment.sha256 == sha).exists(),
        select(MediaVariant.id).where(or_(MediaVariant.sha256 == sha, MediaVariant.source_sha == sha)).exists()))


def purge_personal_data(s: Session, months: int, media_dir: str, now: datetime | None = None,
                        dry_run: bool = False) -> dict:
    """Erase personal data of cases closed more than `months` ago; returns what was (or would be) done."""
    report = {"cutoff": None, "feedback": [], "requests": [], "photos_removed": 0}
    if months <= 0:
        return report
    cutoff = months_before(now or utcnow(), months)
    report["cutoff"] = cutoff.isoformat()
    if s.get_bind().dialect.name == "postgresql" and not dry_run:
        if not s.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}).scalar():
            return report
    photos = set()
    for fb in due_feedback(s, cutoff):
        report["feedback"].append(fb.code)
        if dry_run:
            continue
        if fb.photo_sha:
            photos.add(fb.photo_sha)
        erased = _erase(fb, {"name": "", "phone": "", "photo_sha": None})
        audit.record(s, "system", "feedback.erase_personal", f"feedback:{fb.id}",
                     {"fields": erased}, {"retention_months": months, "closed_at": fb.closed_at.isoformat()})
    for req in due_requests(s, cutoff):
        report["requests"].append(req.code)
        if dry_run:
            continue
        erased = _erase(req, {"name": "", "contact": "", "id_number": ""})
        audit.record(s, "system", "request.erase_personal", f"request:{req.id}",
                     {"fields": erased}, {"retention_months": months, "closed_at": req.closed_at.isoformat()})
    if dry_run:
        s.rollback()
        return report
    s.flush()
    unused = [sha for sha in sorted(photos) if _photo_unused(s, sha)]
    s.commit()
    for sha in unused:
        path = os.path.join(media_dir, sha)
        if os.path.isfile(path) and not os.path.islink(path):
            os.remove(path)
            report["photos_removed"] += 1
    return report


def start_retention(app) -> threading.Thread | None:
    """A daemon thread that purges once a day (first run a minute after start); none when retention
    is off, so the default keeps everything."""
    if int(app.config.get(SETTING) or 0) <= 0:
        return None
    from server.background import start_periodic
    return start_periodic(app, "gongkai-retention", lambda: purge_personal_data(
        db.session(), int(app.config[SETTING]), app.config["MEDIA_DIR"]), DAY_SECONDS, first=60.0)
