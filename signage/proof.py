"""Proof of play: every slide shown (item, revision, start, duration) queued as "play" batches.

Records go to the sync client's outbox (screen.outbox), which keeps them on disk until the
server has acknowledged the report, so a screen offline for days still reports what it showed.
"""
from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["BATCH", "EVERY", "ProofOfPlay"]

BATCH = 20                       # records per batch
EVERY = timedelta(minutes=5)     # or at least this often while playing


class ProofOfPlay:
    """start(slide, at) when a slide appears, stop(at) when it leaves; flush() on exit."""

    def __init__(self, queue_batch, batch: int = BATCH, every: timedelta = EVERY):
        self.queue_batch, self.batch, self.every = queue_batch, batch, every
        self.records: list[dict] = []
        self._current = None
        self._first: datetime | None = None

    def start(self, slide, at: datetime) -> None:
        self.stop(at)
        self._current = (slide, at)

    def stop(self, at: datetime) -> None:
        if self._current is None:
            return
        slide, started = self._current
        self._current = None
        self.records.append({"item": slide.item, "revision": slide.revision,
                             "start": started.isoformat(timespec="seconds"),
                             "duration": round(max(0.0, (at - started).total_seconds()), 1)})
        self._first = self._first or at
        if len(self.records) >= self.batch or at - self._first >= self.every:
            self.flush()

    def flush(self) -> None:
        if not self.records:
            return
        records, self.records, self._first = self.records, [], None
        try:
            self.queue_batch("play", records)
        except ValueError:  # records that are not JSON (cannot happen with ids from a manifest)
            pass
