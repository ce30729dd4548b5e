"""The signed manifest's bytes (protocol version 2, content/manifest.py): signed once per distinct
content, not per screen or per request.

`SharedFeed` is everything but the device block — identical for every screen of the same unit,
audiences, groups and size — with its `scope`, `server_time` (when it was signed) and
`signature`: a publish costs one signature per kind of screen. The device block has its own
`device_signature`, kept until the block's bytes change. `DeviceFeed` joins the two for one
screen at one mark; GET /feed, 304s and the event stream all reuse its bytes.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading

from flask import current_app

from content.manifest import canonical_json, device_signing_input, feed_signing_input
from server.screens import feed_blobs
from server.screens.keys import signing_key
from server.screens.lru import app_lru
from server.models import utcnow
from server.workdays import local

DEVICE_SIGNATURES = 16384
EVENT_BYTES = 64 * 1024   # an `event: feed` carries the manifest (and small new files) up to this size
_KEYS: dict[str, bytes] = {}


def assemble(parts: dict[str, bytes]) -> bytes:
    """Canonical JSON of an object whose values are already canonical JSON (keys sorted)."""
    out = []
    for k in sorted(parts):
        head = _KEYS.get(k)
        if head is None:
            head = _KEYS[k] = canonical_json(k) + b":"
        out.append(head + parts[k])
    return b"{" + b",".join(out) + b"}"


def _sign(message: bytes) -> bytes:
    return canonical_json(base64.b64encode(signing_key(current_app).sign(message)).decode("ascii"))


class SharedFeed:
    """The shared part of a manifest, signed: `fields` (canonical JSON per key, without
    server_time and signature) and `body`, the signed object's bytes."""

    def __init__(self, fields: dict[str, bytes], shared: dict):
        signed = dict(fields, server_time=canonical_json(local(utcnow()).isoformat()))
        signed["signature"] = _sign(feed_signing_input(json.loads(assemble(signed))))
        self.fields, self.body, self.shared = fields, assemble(signed), shared


def signed_device_block(device: dict) -> tuple[bytes, bytes]:
    """(canonical JSON of the device block, its signature as JSON), signed once per distinct block."""
    data = canonical_json(device)
    return data, app_lru("feed_device_signatures", DEVICE_SIGNATURES).get_or_build(
        data, lambda: _sign(device_signing_input(device)))


def _json_string(sha: str, data: bytes) -> bytes:
    """A small blob as a JSON string for an event (the same for every screen, so kept)."""
    return app_lru("feed_blob_strings", 256).get_or_build(
        sha, lambda: json.dumps(data.decode("utf-8"), ensure_ascii=False).encode("utf-8"))


class DeviceFeed:
    """One device's manifest at one mark: its bytes, ETag, and the files it lets the device fetch."""

    def __init__(self, shared: SharedFeed, version: int, device: bytes, device_signature: bytes,
                 device_media: frozenset = frozenset()):
        content = assemble({**{k: v for k, v in shared.fields.items() if k != "version"}, "device": device})
        self.tag = hashlib.sha256(content).hexdigest()[:32]   # what etag_for() gives on the screen
        self.etag = f'"{self.tag}"'
        self.version = version
        self.body = shared.body[:-1] + b',"device":' + device + b',"device_signature":' + device_signature + b"}"
        # media, pages and blobs this device may fetch; device_media: its unit's logo (device.branding)
        self.media = shared.shared["fetchable"] | device_media
        self.blob_types = shared.shared["blob_types"]    # pages and blobs: their content type
        self._files = shared.shared
        self._lock = threading.Lock()
        self._gzipped: bytes | None = None

    def gzipped_body(self) -> bytes:
        if self._gzipped is None:
            with self._lock:
                if self._gzipped is None:
                    self._gzipped = gzip.compress(self.body, 6, mtime=0)
        return self._gzipped

    def event_data(self, held: frozenset) -> bytes:
        """`event: feed` data: the manifest if it is small, with the small pages and blobs the
        device does not hold yet (`held`: what the stream's previous manifest referenced), as long
        as the whole message stays within EVENT_BYTES; else only the version."""
        head = b'{"version":%d' % self.version
        if len(self.body) > EVENT_BYTES:
            return head + b"}"
        size, blobs = len(head) + len(self.body) + 24, []
        for sha in self._files["inline_order"]:
            if sha in held:
                continue
            text = _json_string(sha, self._files["inline"][sha])
            if size + len(text) + 70 <= EVENT_BYTES:
                blobs.append(b'"' + sha.encode() + b'":' + text)
                size += len(text) + 70
        return head + b',"manifest":' + self.body + b',"blobs":{' + b",".join(blobs) + b"}}"

    def read(self, sha: str) -> bytes:
        """A page or blob of this feed (from memory, else from the feed folder)."""
        data = self._files["inline"].get(sha)
        if data is None:
            with open(feed_blobs.path(sha), "rb") as fh:
                data = fh.read()
        return data
