"""Pieces of a feed sync: the server clock offset and the parallel download of pages, blobs and media.

The offset exists because lobby screens often have wrong clocks and no NTP; display windows are
checked against server time (local clock + offset) so a 公示 ends on time, even offline.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable

import httpx

from screen.cache import ContentCache
from screen.identity import SyncError
from content.manifest import parse_time

__all__ = ["ServerClock", "download_media"]

PARALLEL_DOWNLOADS = 2


class ServerClock:
    """Local clock + measured offset; the offset is taken halfway through the request, from the
    answer's `Server-Time` header (ISO 8601, milliseconds), else its `Date` header (seconds) until
    a Server-Time has been seen. The manifest's own server_time is when it was signed, which may
    be long ago, so it is never used for the clock."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.offset = 0.0
        self.tz = timezone.utc
        self.precise = False

    def now(self) -> datetime:
        """The server's current time, in the server's own UTC offset once known."""
        return datetime.fromtimestamp(self.clock() + self.offset, tz=self.tz)

    def measure(self, server_time, midpoint: float) -> bool:
        """offset = server_time − local midpoint; False (nothing changed) if unparsable."""
        try:
            when = parse_time(server_time)
        except ValueError:
            return False
        if when is None:
            return False
        self.offset, self.tz, self.precise = when.timestamp() - midpoint, when.tzinfo, True
        return True

    def measure_response(self, resp: httpx.Response, midpoint: float) -> None:
        """From `Server-Time`, else (1 s precision) `Date` while nothing better was seen."""
        if self.measure(resp.headers.get("Server-Time"), midpoint):
            return
        if self.precise or "Date" not in resp.headers:
            return
        try:
            when = parsedate_to_datetime(resp.headers["Date"])
        except (TypeError, ValueError):
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        self.offset = when.timestamp() - midpoint


def download_media(http: httpx.Client, cache: ContentCache, missing: dict[str, int | None],
                   headers: dict, check: Callable[[httpx.Response], None],
                   stopped: Callable[[], bool] = lambda: False) -> None:
    """GET /media/<sha256> for each missing file, two at a time, each verified as it is stored.

    The first failure cancels the other downloads and is raised; files already verified stay in
    the cache (named by their hash, so they are correct) and are reused by the next attempt.
    `check(resp)` may raise for an answer that concerns the whole client (401).
    """
    if not missing:
        return
    cancel = threading.Event()

    def fetch(sha: str, size: int | None) -> None:
        with http.stream("GET", f"/media/{sha}", headers=headers) as resp:
            check(resp)
            if resp.status_code != 200:
                raise SyncError(f"media {sha[:12]}: HTTP {resp.status_code}")
            cache.store_media(sha, resp.iter_bytes(), size,
                              cancelled=lambda: cancel.is_set() or stopped())

    error = None
    with ThreadPoolExecutor(PARALLEL_DOWNLOADS, thread_name_prefix="gongkai-media") as pool:
        futures = [pool.submit(fetch, sha, size) for sha, size in sorted(missing.items())]
        for future in as_completed(futures):
            if future.cancelled() or future.exception() is None:
                continue
            if error is None:
                error = future.exception()
                cancel.set()
                for other in futures:
                    other.cancel()
    if error is not None:
        raise error
