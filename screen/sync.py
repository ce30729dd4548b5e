"""SyncClient: the screens' only way to the server (docs/architecture.md, device protocol, version 2) —
enrolment, the signed feed with its pages, blobs and media in the cache, the event stream (which
carries small manifests itself), heartbeats and report batches. No Kivy, no server code.

- Public methods return values instead of raising on network, server or content trouble: the
  failure goes to `last_error` (short text, sent with the next heartbeat) and cached content keeps
  showing. Only programmer errors (bad arguments) raise.
- Manifests are verified with the public key pinned at enrolment, never a key from the feed.
- `start()` runs two daemon threads: "gongkai-sync" (enrolment, sync, heartbeats, feed polling
  while the stream is down) and "gongkai-events" (the SSE stream, reconnecting with back-off).
  Callbacks on_manifest(manifest), on_command(name, data) and on_status(state) run on those
  threads: a Kivy app must hop to its own (Clock.schedule_once) before touching widgets.
- Data folder: device.json (identity, 0600), outbox.json (report batches), the content cache
  (screen.cache). One process owns a data folder.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from datetime import datetime

import httpx

from screen.cache import ContentCache, sweep_temp_files
from screen.identity import DeviceIdentity, SyncError, describe_error, enrol_step, json_object
from screen.events import Backoff, SSEParser, event_object
from screen.feedsync import AppliedFeed
from screen.health import content_time, free_disk, installed_version
from screen.fetch import ServerClock, download_media
from screen.outbox import Outbox

__all__ = ["KINDS", "STATES", "SyncClient", "SyncError"]

API = "/api/v1"
GC_GRACE_SECONDS = 3600.0   # an unreferenced file stays this long (content flipping back reuses it)
KINDS = ("kiosk", "signage")
STATES = ("unenrolled", "pending", "active", "revoked")
log = logging.getLogger(__name__)


class _Revoked(SyncError):
    """The server answered 401: this device's token is no longer valid."""


class SyncClient:
    """One screen's connection to the server; see the module docstring for threads and errors.

    An app shows cached_manifest() at start (works offline), then each manifest passed to
    on_manifest; it filters items with content.manifest.visible_items(manifest, server_now()).
    """

    def __init__(self, server: str, data_dir: str, kind: str = "kiosk", screen=(1080, 1920), *,
                 transport: httpx.BaseTransport | None = None, on_manifest=None, on_command=None,
                 on_status=None, poll_seconds: float = 60.0, heartbeat_seconds: float = 60.0,
                 enrol_poll_seconds: float = 5.0, read_timeout: float = 40.0, clock=time.time,
                 sleep=None, rand=random.random, app_version: str | None = None, monotonic=time.monotonic,
                 gc_grace_seconds: float = GC_GRACE_SECONDS):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        w, h = screen
        if not all(isinstance(v, int) and v > 0 for v in (w, h)):
            raise ValueError(f"screen must be two positive ints, not {screen!r}")
        self.server, self.kind, self.screen = server.rstrip("/"), kind, (w, h)
        self.data_dir = os.path.abspath(data_dir)
        self.on_manifest, self.on_command, self.on_status = on_manifest, on_command, on_status
        self.poll_seconds, self.heartbeat_seconds = poll_seconds, heartbeat_seconds
        self.enrol_poll_seconds = enrol_poll_seconds
        self.app_version = app_version or installed_version()
        self._clock, self._rand, self._monotonic = clock, rand, monotonic
        self._last_contact = monotonic()  # a screen starting offline counts from its start
        self._http = httpx.Client(base_url=self.server, transport=transport,
                                  timeout=httpx.Timeout(10.0, read=read_timeout))
        self._sync_lock, self._report_lock = threading.Lock(), threading.Lock()
        self._stopped, self._wake, self._sync_requested = (threading.Event() for _ in range(3))
        self._sleep = sleep or self._stopped.wait  # interrupted by stop()
        self._threads: list[threading.Thread] = []
        self._stream: httpx.Response | None = None
        self._connected = False
        self._last_error: str | None = None
        self._last_event_id: str | None = None
        self._server_clock = ServerClock(clock)
        self._started = time.monotonic()
        os.makedirs(self.data_dir, exist_ok=True)
        sweep_temp_files(self.data_dir)  # leftovers of a crash; nothing else writes here yet
        sweep_temp_files(os.path.join(self.data_dir, "media"))
        self._cache = ContentCache(self.data_dir)
        self._outbox = Outbox(os.path.join(self.data_dir, "outbox.json"), on_save_error=self._record)
        self._identity = DeviceIdentity(os.path.join(self.data_dir, "device.json"), self.server,
                                        on_change=self._state_changed)
        self._feed = AppliedFeed(self._cache, lambda: self._identity.get("public_key"),
                                 lambda: self._identity.get("device_id"), gc_grace_seconds)

    # ---- state -------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """"unenrolled" | "pending" | "active" | "revoked" (revoked: re-enrolling after a 401)."""
        return self._identity.state

    device_id = property(lambda self: self._identity.get("device_id"), doc="Current device id.")
    pairing_code = property(lambda self: self._identity.get("pairing_code"),
                            doc="The code to show full-screen until an admin approves the device.")
    last_error = property(lambda self: self._last_error, doc="Last failure, short text, or None.")
    connected = property(lambda self: self._connected, doc="Whether the event stream is open.")
    shown_version = property(lambda self: self._feed.shown_version, doc="Version of the applied manifest.")

    def seconds_since_contact(self) -> float:
        """Seconds since the server last answered (feed, report, event stream) — or since start."""
        return max(0.0, self._monotonic() - self._last_contact)

    def _touch(self) -> None:
        self._last_contact = self._monotonic()

    def _state_changed(self, state: str) -> None:
        log.info("device state -> %s", state)
        if state == "active":
            self._request_sync()
        self._callback(self.on_status, state)

    def _record(self, exc: BaseException) -> None:
        self._last_error = describe_error(exc)
        log.warning("sync: %s", self._last_error)

    def _callback(self, fn, *args) -> None:
        """Call an app callback; its failure is recorded, never raised into our loop."""
        if fn is None:
            return
        try:
            fn(*args)
        except Exception as exc:  # the app's bug must not stop syncing
            self._record(exc)

    def _auth(self) -> tuple[str, dict]:
        token = self._identity.get("token")
        if not token:
            raise SyncError("not enrolled")
        return token, {"Authorization": f"Bearer {token}"}

    def _check_auth(self, resp: httpx.Response, token: str) -> None:
        """On 401 forget the token (once, even if several threads see it) and start again."""
        if resp.status_code == 401:
            if self._identity.revoke(token):
                self._feed.etag = None
            raise _Revoked("token revoked (401); re-enrolling, cached content kept")

    # ---- enrolment ---------------------------------------------------------------------------
    def enrol_step(self) -> str:
        """One step of enrolment (register, or poll for approval); returns the state."""
        try:
            enrol_step(self._http, self._identity, self.kind, self.screen)
        except Exception as exc:
            self._record(exc)
        return self.state

    # ---- feed and media ----------------------------------------------------------------------
    def cached_manifest(self) -> dict | None:
        """The applied manifest, hydrated (items from its pages, tables and long bodies from their
        blobs, feedback links filled in), if it is signed by the pinned key and every page and blob
        is in the cache; else None. Hydrated once per ETag."""
        return self._feed.cached()

    def media_path(self, sha256: str) -> str:
        """Local file of a media entry of the cached manifest (ValueError for a bad name)."""
        return self._cache.media_path(sha256)

    def server_now(self) -> datetime:
        """Server time: the local clock plus the offset measured at the last answer."""
        return self._server_clock.now()

    def sync_once(self) -> bool:
        """Apply a new verified manifest — the one the last `feed` event carried, else GET /feed;
        True only if one was applied."""
        if self.state != "active":
            return False
        try:
            with self._sync_lock:
                return self._sync()
        except Exception as exc:
            self._record(exc)
            return False

    def _fetch_manifest(self, token: str, headers: dict) -> dict | None:
        """GET /feed: the verified manifest, or None for 304."""
        if self._feed.etag and self._feed.complete():
            headers["If-None-Match"] = self._feed.etag
        started = self._clock()
        resp = self._http.get(f"{API}/feed", headers=headers)
        self._server_clock.measure_response(resp, (started + self._clock()) / 2)
        self._check_auth(resp, token)
        if resp.status_code in (200, 304):
            self._touch()
        if resp.status_code == 304:
            return None
        if resp.status_code != 200:
            raise SyncError(f"feed: HTTP {resp.status_code}")
        manifest = json_object(resp, "feed")
        self._feed.check(manifest, "feed")
        return manifest

    def _sync(self) -> bool:
        token, headers = self._auth()
        try:
            pushed = self._feed.take_pushed()
        except SyncError as exc:  # asking the feed instead
            self._record(exc)
            pushed = None
        manifest, files = pushed if pushed is not None else (self._fetch_manifest(token, headers), {})
        if manifest is None:
            return False
        auth = {"Authorization": f"Bearer {token}"}
        hydrated = self._feed.switch(manifest, files, lambda missing: download_media(
            self._http, self._cache, missing, auth, lambda r: self._check_auth(r, token), self._stopped.is_set))
        if hydrated is None:
            return False
        self._callback(self.on_manifest, hydrated)
        return True

    # ---- events ------------------------------------------------------------------------------
    def listen_once(self) -> bool:
        """Hold the event stream open once, until it ends or fails; True if any bytes arrived.

        `feed` events ask the sync thread to sync; `command` events go to on_command(name, data).
        """
        if self.state != "active":
            return False
        got_data = False
        try:
            token, headers = self._auth()
            headers.update({"Accept": "text/event-stream", "Cache-Control": "no-cache"})
            if self._last_event_id is not None:
                headers["Last-Event-ID"] = self._last_event_id
            with self._http.stream("GET", f"{API}/events", headers=headers) as resp:
                self._stream = resp
                self._check_auth(resp, token)
                if resp.status_code != 200:
                    raise SyncError(f"events: HTTP {resp.status_code}")
                self._set_connected(True)
                self._touch()
                self._request_sync()  # catch up on anything missed while disconnected
                parser = SSEParser(self._last_event_id)
                for chunk in resp.iter_bytes():
                    got_data = True
                    self._touch()  # events and the 15-second keep-alive comments
                    for event in parser.feed(chunk):
                        self._last_event_id = parser.last_event_id
                        self._handle_event(event)
                    self._last_event_id = parser.last_event_id
                    if self._stopped.is_set():
                        break
        except Exception as exc:
            if not self._stopped.is_set():
                self._record(exc)
        finally:
            self._stream = None
            self._set_connected(False)
        return got_data

    def _handle_event(self, event) -> None:
        data = event_object(event)
        if event.type == "feed":
            if data is not None and isinstance(data.get("manifest"), dict):
                self._feed.offer(data["manifest"], data.get("blobs"))
            self._request_sync()
        elif event.type == "command":
            if data is None or not isinstance(data.get("name"), str):
                self._record(SyncError(f"command: bad data {event.data[:40]!r}"))
                return
            self._callback(self.on_command, data["name"], data)

    def _request_sync(self) -> None:
        self._sync_requested.set()
        self._wake.set()

    def _set_connected(self, value: bool) -> None:
        if self._connected != value:
            self._connected = value
            self._wake.set()

    # ---- reports -----------------------------------------------------------------------------
    def queue_batch(self, batch_type: str, records: list) -> str:
        """Queue proof-of-play/view/rating records for the next report; returns the batch id.

        Raises ValueError only for a bad type or non-JSON records; a disk error is recorded and
        the batch stays queued in memory.
        """
        return self._outbox.add(batch_type, records)

    def heartbeat(self) -> dict:
        """What the next report says about this screen."""
        return {"shown_version": self._feed.shown_version, "shown_etag": self._feed.etag,
                "app_version": self.app_version,
                "uptime": round(time.monotonic() - self._started, 1), "free_disk": free_disk(self.data_dir),
                "last_error": self._last_error, "stream": self._connected,
                "content_time": content_time(self._cache.read_manifest())}

    def send_report(self, timeout: float | None = None) -> bool:
        """POST the heartbeat with queued batches; batches are dropped only after a 2xx.
        `timeout` bounds both the wait for a report already under way and the request itself."""
        if self.state != "active":
            return False
        if not self._report_lock.acquire(timeout=-1 if timeout is None else timeout):
            return False
        try:
            token, headers = self._auth()
            batches, error_sent = self._outbox.pending(), self._last_error
            body = {"heartbeat": self.heartbeat(), "batches": batches}
            started = self._clock()
            resp = self._http.post(f"{API}/devices/report", json=body, headers=headers,
                                   **({"timeout": timeout} if timeout is not None else {}))
            self._server_clock.measure_response(resp, (started + self._clock()) / 2)
            self._check_auth(resp, token)
            if not 200 <= resp.status_code < 300:
                raise SyncError(f"report: HTTP {resp.status_code}")
            self._touch()
            self._outbox.drop(b["id"] for b in batches)
            if self._last_error == error_sent:
                self._last_error = None
            return True
        except Exception as exc:
            self._record(exc)
            return False
        finally:
            self._report_lock.release()

    # ---- background threads ------------------------------------------------------------------
    def start(self) -> None:
        """Run enrolment, sync, heartbeats and the event stream in two daemon threads."""
        if self._threads:
            return
        self._stopped.clear()
        self._threads = [threading.Thread(target=fn, name=name, daemon=True) for fn, name in
                         ((self._run_sync, "gongkai-sync"), (self._run_events, "gongkai-events"))]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads, interrupting a blocked stream read and cancelling downloads (until
        the next start()); the cache stays as it was."""
        self._stopped.set()
        self._wake.set()
        stream = self._stream
        if stream is not None:  # wake a read blocked in the events thread; it closes the stream
            try:
                stream.extensions["network_stream"].get_extra_info("socket").shutdown(socket.SHUT_RDWR)
            except Exception:  # no socket (MockTransport) or already closed
                pass
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def close(self, timeout: float = 5.0, flush_seconds: float = 0.0) -> None:
        """stop() and release the HTTP connections; with `flush_seconds`, first one last report
        if batches are queued (an app stopping sends what its on_stop queued)."""
        self.stop(timeout)
        if flush_seconds > 0 and len(self._outbox):
            self.send_report(timeout=flush_seconds)
        self._http.close()

    def _run_sync(self) -> None:
        next_sync = next_beat = 0.0
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                if self.state != "active":
                    if self.enrol_step() != "active":
                        self._wake.wait(self.enrol_poll_seconds)
                        continue
                    next_sync = next_beat = 0.0
                now = time.monotonic()
                if self._sync_requested.is_set() or (not self._connected and now >= next_sync):
                    self._sync_requested.clear()
                    self.sync_once()
                    next_sync = time.monotonic() + self.poll_seconds
                if now >= next_beat:
                    self.send_report()
                    next_beat = time.monotonic() + self.heartbeat_seconds
                deadline = next_beat if self._connected else min(next_beat, next_sync)
                self._wake.wait(max(0.0, deadline - time.monotonic()))
            except Exception as exc:  # never let the loop die
                self._record(exc)
                self._stopped.wait(1.0)

    def _run_events(self) -> None:
        backoff = Backoff(rand=self._rand)
        while not self._stopped.is_set():
            if self.state != "active":
                self._stopped.wait(min(1.0, self.enrol_poll_seconds))
                continue
            if self.listen_once():
                backoff.reset()
            if not self._stopped.is_set():
                self._sleep(backoff.next())

