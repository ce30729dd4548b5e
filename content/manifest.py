"""Feed manifest: canonical form, Ed25519 signature, ETag, and what a screen may show right now.

One module is used on both sides so the server signs exactly the bytes the device verifies:
the canonical JSON (sorted keys, no spaces, UTF-8) of the manifest without its signatures and its
device block, and, separately, of the device block (see below).
Verification never raises — a device treats anything odd as "not signed" and keeps its cache.
Display windows are checked here (not only on the server) so an item expires on time even while
a screen is offline; devices pass server time + their measured clock offset as `now`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["branding_logo", "canonical_json", "device_signing_input", "etag_for", "feed_signing_input", "generate_keypair",
           "is_sha256", "media_of", "media_sizes", "parse_time", "scope_of", "sign_manifest", "verify_device",
           "verify_manifest", "verify_shared", "visible_items"]

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
# Left out of the ETag: the signatures follow from the rest, and server_time (when the content
# was signed) and version change without the content changing, which would make If-None-Match miss.
_NOT_IN_ETAG = frozenset({"signature", "device_signature", "server_time", "version"})


def canonical_json(obj) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8 (Chinese kept as is)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def generate_keypair() -> tuple[bytes, str]:
    """A new Ed25519 key pair: (PKCS8 PEM private key, base64 of the raw 32-byte public key)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem, base64.b64encode(raw).decode("ascii")


# Protocol version 2 signs once per distinct content: `signature` covers everything but the
# device block (the same bytes for every screen of the same unit, audiences, groups and size, so
# the server signs a publish once, not once per screen), `device_signature` covers the device
# block (re-signed only when it changes), and `scope` — inside the shared part — names the unit,
# audiences, groups and size it was built for, which must be the device block's own: a screen never
# accepts another kind of screen's content. Each signature has its own context prefix, so neither
# can stand in for the other.
_FEED_CONTEXT = b"gongkai feed v2\n"
_DEVICE_CONTEXT = b"gongkai device v2\n"
_OUTSIDE_SIGNATURE = frozenset({"signature", "device", "device_signature"})


def scope_of(device) -> dict | None:
    """What ties a manifest's shared part to a screen: the unit, audiences, groups and screen size
    of its device block (None for a block that is not an object)."""
    if not isinstance(device, dict):
        return None
    unit = device.get("unit")
    return {"unit": unit.get("code") if isinstance(unit, dict) else None, "audiences": device.get("audiences"),
            "groups": device.get("groups"), "screen": device.get("screen")}


def feed_signing_input(manifest: dict) -> bytes:
    """The bytes `signature` covers: the canonical JSON of all but the device part."""
    return _FEED_CONTEXT + canonical_json({k: v for k, v in manifest.items() if k not in _OUTSIDE_SIGNATURE})


def device_signing_input(device) -> bytes:
    """The bytes `device_signature` covers: the canonical JSON of the device block."""
    return _DEVICE_CONTEXT + canonical_json(device)


def _private_key(private_pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 private key")
    return key


def sign_manifest(manifest: dict, private_pem: bytes) -> dict:
    """A signed copy: `scope` and `device_signature` when there is a device block, and `signature`
    over the rest (old signatures ignored)."""
    key = _private_key(private_pem)
    signed = {k: v for k, v in manifest.items() if k not in ("signature", "device_signature")}
    if "device" in signed:
        signed["scope"] = scope_of(signed["device"])
        signed["device_signature"] = base64.b64encode(key.sign(device_signing_input(signed["device"]))).decode("ascii")
    signed["signature"] = base64.b64encode(key.sign(feed_signing_input(signed))).decode("ascii")
    return signed


def _b64(value: str, size: int) -> bytes | None:
    """Strict base64 of exactly `size` bytes, or None."""
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if len(raw) == size else None


def _verify(public_b64: str, signature, message) -> bool:
    try:
        raw_signature, raw_key = _b64(signature, 64), _b64(public_b64, 32)
        if raw_signature is None or raw_key is None:
            return False
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_signature, message())
        return True
    except Exception:  # InvalidSignature, or bad input of any shape: simply "not signed"
        return False


def verify_shared(manifest: dict, public_b64: str) -> bool:
    """True only if `signature` is valid for everything but the device part; never raises."""
    return isinstance(manifest, dict) and _verify(public_b64, manifest.get("signature"),
                                                  lambda: feed_signing_input(manifest))


def verify_device(manifest: dict, public_b64: str) -> bool:
    """True only if there is a device block, `device_signature` is valid for it and `scope` is its
    own (a screen may cache this answer for the same block and signature); never raises."""
    if not isinstance(manifest, dict) or "device" not in manifest:
        return False
    device = manifest["device"]
    try:
        if manifest.get("scope") != scope_of(device):
            return False
    except Exception:
        return False
    return _verify(public_b64, manifest.get("device_signature"), lambda: device_signing_input(device))


def verify_manifest(manifest: dict, public_b64: str) -> bool:
    """True only if the manifest is signed by this key: its shared part, and its device block (with
    its scope) when it has one; never raises."""
    if not verify_shared(manifest, public_b64):
        return False
    return "device" not in manifest or verify_device(manifest, public_b64)


def etag_for(manifest: dict) -> str:
    """Quoted strong ETag of the manifest's content: the server computes the same one (signatures,
    server_time and version left out), so a restarted device still gets 304."""
    body = {k: v for k, v in manifest.items() if k not in _NOT_IN_ETAG}
    return '"' + hashlib.sha256(canonical_json(body)).hexdigest()[:32] + '"'


def parse_time(value) -> datetime | None:
    """ISO 8601 with an offset ('Z' allowed) → aware datetime; None/'' → None (an open end).

    A naive time or anything unparsable raises ValueError: its instant is unknown.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"time without a UTC offset: {value!r}")
    return parsed


def _in_window(item: dict, now: datetime) -> bool:
    """start <= now < end with open ends; a malformed window hides the item (fail closed)."""
    window = item.get("window") or {}
    if not isinstance(window, dict):
        return False
    try:
        start, end = parse_time(window.get("start")), parse_time(window.get("end"))
    except ValueError:
        return False
    return (start is None or start <= now) and (end is None or now < end)


def visible_items(manifest: dict, now: datetime) -> list[dict]:
    """The manifest's items whose display window contains `now` (an aware datetime), in order."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    items = manifest.get("items") if isinstance(manifest, dict) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict) and _in_window(item, now)]


def _media_entries(manifest: dict):
    """Every media entry of items, playlist entries, the alert and the device block's logo: dicts
    or bare sha256 strings."""
    holders = []
    for key in ("items", "playlist"):
        entries = manifest.get(key)
        if isinstance(entries, list):
            holders.extend(e for e in entries if isinstance(e, dict))
    if isinstance(manifest.get("alert"), dict):
        holders.append(manifest["alert"])
    for holder in holders:
        media = holder.get("media")
        if isinstance(media, list):
            yield from media
    logo = branding_logo(manifest)
    if logo is not None:
        yield logo


def branding_logo(manifest: dict):
    """The unit's logo entry in the device block (`device.branding.logo`), or None."""
    device = manifest.get("device") if isinstance(manifest, dict) else None
    branding = device.get("branding") if isinstance(device, dict) else None
    logo = branding.get("logo") if isinstance(branding, dict) else None
    return logo if isinstance(logo, dict) else None


def media_of(manifest: dict) -> set[str]:
    """Every sha256 the manifest references (items, playlist entries, alert)."""
    return set(media_sizes(manifest))


def media_sizes(manifest: dict) -> dict[str, int | None]:
    """sha256 → expected size in bytes (None where no entry states it).

    Raises ValueError if two entries state different sizes for the same file.
    """
    sizes: dict[str, int | None] = {}
    for entry in _media_entries(manifest):
        if isinstance(entry, str):
            sha, size = entry, None
        elif isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
            sha, size = entry["sha256"], entry.get("bytes")
            if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
                raise ValueError(f"media {sha[:12]}: bad size {size!r}")
        else:
            continue
        known = sizes.get(sha)
        if known is not None and size is not None and known != size:
            raise ValueError(f"media {sha[:12]}: sizes {known} and {size} disagree")
        sizes[sha] = size if size is not None else known
    return sizes


def is_sha256(name) -> bool:
    """Whether `name` is a lowercase hex SHA-256 — the only file names the cache accepts."""
    return isinstance(name, str) and SHA256_PATTERN.fullmatch(name) is not None
