"""A small fake of the device side of the server (docs/architecture.md, device protocol) for SyncClient tests.

It runs inside httpx.MockTransport, signs manifests with content.manifest so verification is real,
and lets a test break any answer: wrong media bytes, revoked tokens, failing reports, streams.
Tests set `manifest` in the version-1 shape (items inline); the feed serves it as protocol
version 2 (content.feedpages.pack: pages and blobs become files under /media/), unless it already
is one.
"""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta, timezone

import httpx

from content.feedpages import pack
from content.manifest import etag_for, generate_keypair, sign_manifest
from screen.sync import SyncClient

CST = timezone(timedelta(hours=8))
SERVER_TIME = datetime(2025, 3, 10, 9, 0, tzinfo=CST)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FakeServer:
    """State of a fake server; `transport` is what a SyncClient gets."""

    def __init__(self):
        self.private, self.public = generate_keypair()
        self.signing_key = self.private
        self.devices: dict[str, dict] = {}
        self.enrolments = 0
        self.tokens: set[str] = set()
        self.media: dict[str, bytes] = {}
        self.media_override: dict[str, bytes] = {}
        self.media_hook = None                      # called with the sha256 before serving it
        self.unservable: set[str] = set()           # names answered with 404 (lost on the server)
        self.override = None                        # request -> response, replaces everything
        self.manifest: dict | None = None
        self.server_time = SERVER_TIME
        self.feedback_base = "https://x/f/1"
        self.report_status = 200
        self.reports: list[dict] = []
        self.event_streams: list = []               # per connection: status int, bytes list, or exception
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()
        self.transport = httpx.MockTransport(self.handle)

    # ---- test controls -----------------------------------------------------------------------
    def publish(self, version: int, files: dict[str, bytes], **extra) -> dict:
        """Serve a manifest with one item per file (name → bytes)."""
        items = []
        for i, (name, data) in enumerate(files.items(), 1):
            self.media[sha(data)] = data
            items.append({"id": i, "revision": 1, "category": "prices", "title": f"{name} 价格表",
                          "body": "", "media": [{"sha256": sha(data), "type": "image/png", "w": 1,
                                                 "h": 1, "bytes": len(data)}],
                          "window": {"start": None, "end": None}, "feedback_url": "https://x/f/1"})
        self.manifest = {"version": version, "device": {"name": "大厅"}, "catalog": [], "items": items,
                         "playlist": [], "ticker": [], "alert": None, **extra}
        return self.manifest

    def approve(self, device_id: str) -> None:
        self.devices[device_id]["status"] = "approved"

    def revoke_all(self) -> None:
        self.tokens.clear()

    def paths(self, prefix: str = "") -> list[str]:
        return [r.url.path for r in self.requests if r.url.path.startswith(prefix)]

    # ---- HTTP --------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.override is not None:
            return self.override(request)
        path, method = request.url.path, request.method
        if path.startswith("/media/") and self.media_hook is not None:
            self.media_hook(path.rsplit("/", 1)[1])
        if method == "POST" and path == "/api/v1/devices/enrol":
            return self._enrol(json.loads(request.content))
        if method == "GET" and path.startswith("/api/v1/devices/enrol/"):
            return self._poll(path.rsplit("/", 1)[1])
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return httpx.Response(401, json={"error": "unauthorised"})
        if path == "/api/v1/feed":
            return self._feed(request)
        if path.startswith("/media/"):
            return self._media(path.rsplit("/", 1)[1])
        if path == "/api/v1/devices/report":
            self.reports.append(json.loads(request.content))
            return httpx.Response(self.report_status, json={})
        if path == "/api/v1/events":
            return self._events()
        return httpx.Response(404)

    def _enrol(self, body: dict) -> httpx.Response:
        assert body["kind"] in ("kiosk", "signage") and set(body["screen"]) == {"w", "h"}
        with self.lock:
            self.enrolments += 1
            device_id = f"dev-{self.enrolments}"
            self.devices[device_id] = {"status": "pending", "code": f"{self.enrolments:06d}",
                                       "body": body}
        return httpx.Response(201, json={"device_id": device_id, "pairing_code": self.devices[device_id]["code"],
                                         "poll": f"/api/v1/devices/enrol/{device_id}"})

    def _poll(self, device_id: str) -> httpx.Response:
        device = self.devices.get(device_id)
        if device is None:
            return httpx.Response(404)
        if device["status"] == "pending":
            return httpx.Response(202, json={"status": "pending"})
        if device["status"] == "collected":
            return httpx.Response(410)
        device["status"] = "collected"
        token = f"token-{device_id}"
        self.tokens.add(token)
        return httpx.Response(200, json={"token": token, "public_key": self.public})

    def packed(self) -> dict:
        """The manifest as protocol version 2 (its pages and blobs added to the served media)."""
        if "protocol" in self.manifest:
            return self.manifest
        manifest, blobs = pack(self.manifest, self.feedback_base)
        self.media.update(blobs)
        return manifest

    def files(self) -> set[str]:
        """Every file the current manifest makes a screen hold: pages, blobs and media."""
        manifest, blobs = pack(self.manifest, self.feedback_base)
        media = {m["sha256"] for i in self.manifest.get("items") or [] for m in i.get("media") or []}
        return set(blobs) | media

    def pages(self) -> list[str]:
        return [p["sha256"] for p in self.packed()["item_pages"]]

    def feed_files(self) -> list[str]:
        """The files the manifest names itself: its pages and its catalog."""
        return self.pages() + [self.packed()["catalog_blob"]["sha256"]]

    def signed(self, device_id: str = "dev-1") -> dict:
        manifest = self.packed()
        device = {**(manifest.get("device") or {}), "device_id": device_id}
        return sign_manifest({**manifest, "device": device, "server_time": self.server_time.isoformat()},
                             self.signing_key)

    def _feed(self, request: httpx.Request) -> httpx.Response:
        clock = {"Server-Time": self.server_time.isoformat(timespec="milliseconds")}
        if self.manifest is None:
            return httpx.Response(503)
        body = self.signed(request.headers["Authorization"][7:].removeprefix("token-"))
        tag = etag_for(body)
        if request.headers.get("If-None-Match") == tag:
            return httpx.Response(304, headers={"ETag": tag, **clock})
        return httpx.Response(200, json=body, headers={"ETag": tag, **clock})

    def _media(self, name: str) -> httpx.Response:
        data = self.media_override.get(name, self.media.get(name))
        if data is None or name in self.unservable:
            return httpx.Response(404)
        return httpx.Response(200, content=data, headers={"Cache-Control": "immutable"})

    def _events(self) -> httpx.Response:
        plan = self.event_streams.pop(0) if self.event_streams else 503
        if isinstance(plan, int):
            return httpx.Response(plan)
        if isinstance(plan, Exception):
            raise plan
        return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=iter(plan))


def enrolled(server: FakeServer, data_dir, **kwargs) -> SyncClient:
    """A SyncClient that went through enrolment and approval against `server`."""
    client = SyncClient("http://screens.test", str(data_dir), transport=server.transport, **kwargs)
    assert client.enrol_step() == "pending"
    server.approve(client.device_id)
    assert client.enrol_step() == "active"
    return client
