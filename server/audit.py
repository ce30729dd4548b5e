"""Tamper-evident audit log (归档): a SHA-256 hash chain over every recorded action."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, actor: str, action: str, target: str,
            before: str, after: str) -> str:
    payload = json.dumps([prev_hash, at.isoformat(), actor, action, target, before, after],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(db: Session, actor: str, action: str, target: str, before=None, after=None) -> AuditEntry:
    """Append one entry chained to the last; the caller's transaction commits it with the change."""
    last = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    prev = last.hash if last else GENESIS
    at = utcnow().replace(microsecond=0)
    b, a = _dump(before), _dump(after)
    entry = AuditEntry(at=at, actor=actor, action=action, target=target, before=b, after=a,
                       prev_hash=prev, hash=_digest(prev, at, actor, action, target, b, a))
    db.add(entry)
    db.flush()
    return entry


def verify(db: Session) -> list[str]:
    """Problems found walking the chain from the start; empty when intact."""
    problems = []
    prev = GENESIS
    for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.id}: previous hash does not match entry before it")
        expected = _digest(entry.prev_hash, entry.at, entry.actor, entry.action, entry.target,
                           entry.before, entry.after)
        if entry.hash != expected:
            problems.append(f"entry {entry.id}: content does not match its hash")
        prev = entry.hash
    return problems


def refusal(db: Session, actor: str, action: str, target: str, detail: dict) -> AuditEntry:
    """Record a refused privileged action (`refused.<action>`) in its own transaction. Whatever the
    refused request had changed is rolled back first, so nothing half-done is stored with it."""
    db.rollback()
    entry = record(db, actor, f"refused.{action}", target, None, detail)
    db.commit()
    return entry
