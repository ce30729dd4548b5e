"""Report batches (proof-of-play, touch views, ratings) waiting to be sent, kept on disk.

A screen may be offline for days; its counts must survive restarts and be counted once. Each
batch gets a uuid when queued and keeps it on every retry (the server de-duplicates by it); a batch
leaves the queue only after the server answered 2xx. The queue is one small JSON file replaced
atomically on every change, capped so a very long outage cannot fill the disk.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid

from screen.cache import read_json, write_json

__all__ = ["BATCH_TYPES", "Outbox"]

BATCH_TYPES = ("play", "view", "rating")
MAX_BATCHES = 5000
log = logging.getLogger(__name__)


class Outbox:
    """A persistent FIFO of {"id", "type", "records"} batches; safe to use from several threads."""

    def __init__(self, path: str, max_batches: int = MAX_BATCHES, on_save_error=None):
        self.path, self.max_batches, self.on_save_error = path, max_batches, on_save_error
        self._lock = threading.Lock()
        stored = read_json(path, default=[])
        self._batches = [b for b in stored if _valid(b)] if isinstance(stored, list) else []
        self.dropped = 0  # batches thrown away because the queue was full

    def __len__(self) -> int:
        with self._lock:
            return len(self._batches)

    def add(self, batch_type: str, records: list) -> str:
        """Queue a batch and return its id; raises ValueError for a bad type or non-JSON records.

        If the disk refuses (full), the batch stays queued in memory and `on_save_error(exc)` is
        called; the next successful save writes it out.
        """
        if batch_type not in BATCH_TYPES:
            raise ValueError(f"batch type must be one of {BATCH_TYPES}, not {batch_type!r}")
        if not isinstance(records, list):
            raise ValueError("records must be a list")
        records = json.loads(json.dumps(records, ensure_ascii=False))  # JSON-able, and our own copy
        batch = {"id": str(uuid.uuid4()), "type": batch_type, "records": records}
        with self._lock:
            self._batches.append(batch)
            overflow = len(self._batches) - self.max_batches
            if overflow > 0:
                del self._batches[:overflow]
                self.dropped += overflow
                log.warning("outbox full: dropped the %d oldest batch(es)", overflow)
            self._save()
        return batch["id"]

    def pending(self, limit: int = 100) -> list[dict]:
        """The oldest `limit` batches, to send with the next heartbeat."""
        with self._lock:
            return [dict(b) for b in self._batches[:limit]]

    def drop(self, ids) -> None:
        """Forget batches the server acknowledged."""
        ids = set(ids)
        with self._lock:
            before = len(self._batches)
            self._batches = [b for b in self._batches if b["id"] not in ids]
            if len(self._batches) != before:
                self._save()

    def _save(self) -> None:
        try:
            write_json(self.path, self._batches)
        except OSError as exc:
            log.warning("outbox not saved: %s", exc)
            if self.on_save_error is not None:
                self.on_save_error(exc)


def _valid(batch) -> bool:
    return (isinstance(batch, dict) and isinstance(batch.get("id"), str)
            and batch.get("type") in BATCH_TYPES and isinstance(batch.get("records"), list))
