"""Who this screen is to the server: device.json, and the enrolment steps (docs/architecture.md, device protocol).

device.json holds the bearer token, so it is written atomically with mode 0600. The pinned
public key survives a revocation, so the cached content still verifies (and keeps showing) while
the screen shows its new pairing code; a new approval replaces it.
"""
from __future__ import annotations

import base64
import binascii
import errno
import threading

import httpx

from screen.cache import MediaError, read_json, write_json

__all__ = ["DeviceIdentity", "SyncError", "describe_error", "enrol_step", "is_public_key",
           "json_object"]

API = "/api/v1"
MAX_ERROR = 200


class SyncError(Exception):
    """A readable reason why a step failed (HTTP status, bad signature, bad answer)."""


def describe_error(exc: BaseException) -> str:
    """Short text for last_error and the heartbeat, readable by an admin."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        text = "disk full (ENOSPC)"
    elif isinstance(exc, (SyncError, MediaError)):
        text = str(exc)
    elif isinstance(exc, httpx.TimeoutException):
        text = f"network timeout ({type(exc).__name__})"
    elif isinstance(exc, httpx.HTTPError):
        text = f"network: {type(exc).__name__}: {exc}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR]


class DeviceIdentity:
    """device.json: device_id, pairing_code, poll, token, public_key, revoked, server."""

    def __init__(self, path: str, server: str, on_change=None):
        self.path, self.server, self.on_change = path, server, on_change
        self.lock = threading.RLock()
        stored = read_json(path, default={})
        self._data = stored if isinstance(stored, dict) else {}

    def get(self, key: str):
        return self._data.get(key)

    @property
    def state(self) -> str:
        """"unenrolled" | "pending" | "active" | "revoked" (revoked: re-enrolling after a 401)."""
        if self._data.get("token"):
            return "active"
        if self._data.get("revoked"):
            return "revoked"
        return "pending" if self._data.get("device_id") else "unenrolled"

    def update(self, **changes) -> None:
        """Change and persist; calls on_change(new_state) when the state changed."""
        with self.lock:
            before = self.state
            data = {**self._data, **changes, "server": self.server}
            write_json(self.path, data, mode=0o600)
            self._data = data
            after = self.state
        if after != before and self.on_change is not None:
            self.on_change(after)

    def revoke(self, token: str) -> bool:
        """Forget a token the server refused (only if it is still ours); keeps the public key."""
        with self.lock:
            if not token or self._data.get("token") != token:
                return False
            self.update(token=None, device_id=None, pairing_code=None, poll=None, revoked=True)
            return True


def enrol_step(http: httpx.Client, identity: DeviceIdentity, kind: str, screen) -> None:
    """Register (no device id yet) or poll for approval once; raises SyncError on a bad answer."""
    with identity.lock:
        if identity.state == "active":
            return
        if not identity.get("device_id"):
            _register(http, identity, kind, screen)
        else:
            _poll(http, identity, kind, screen)


def _register(http: httpx.Client, identity: DeviceIdentity, kind: str, screen) -> None:
    body = {"kind": kind, "screen": {"w": screen[0], "h": screen[1]}}
    resp = http.post(f"{API}/devices/enrol", json=body)
    if resp.status_code not in (200, 201):
        raise SyncError(f"enrol: HTTP {resp.status_code}")
    data = json_object(resp, "enrol")
    device_id, code = data.get("device_id"), data.get("pairing_code")
    if not (isinstance(device_id, str) and device_id and isinstance(code, str) and code):
        raise SyncError("enrol: answer lacks device_id/pairing_code")
    poll = data.get("poll")
    if not (isinstance(poll, str) and poll.startswith(f"{API}/")):  # stay on our server
        poll = f"{API}/devices/enrol/{device_id}"
    identity.update(device_id=device_id, pairing_code=code, poll=poll, token=None)


def _poll(http: httpx.Client, identity: DeviceIdentity, kind: str, screen) -> None:
    resp = http.get(identity.get("poll") or f"{API}/devices/enrol/{identity.get('device_id')}")
    if resp.status_code == 202:
        return
    if resp.status_code in (404, 410):  # forgotten, or the token went to a run that crashed
        identity.update(device_id=None, pairing_code=None, poll=None)
        _register(http, identity, kind, screen)
        return
    if resp.status_code != 200:
        raise SyncError(f"enrolment poll: HTTP {resp.status_code}")
    data = json_object(resp, "enrolment poll")
    token, key = data.get("token"), data.get("public_key")
    if not (isinstance(token, str) and token and is_public_key(key)):
        raise SyncError("enrolment poll: answer lacks token/public_key")
    identity.update(token=token, public_key=key, revoked=False)


def is_public_key(value) -> bool:
    """base64 of 32 raw bytes, as an Ed25519 public key is sent."""
    try:
        return isinstance(value, str) and len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def json_object(resp: httpx.Response, what: str) -> dict:
    """The answer's JSON object, or SyncError."""
    try:
        data = resp.json()
    except ValueError:
        raise SyncError(f"{what}: answer is not JSON") from None
    if not isinstance(data, dict):
        raise SyncError(f"{what}: answer is not a JSON object")
    return data
