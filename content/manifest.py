"""Feed manifest: canonical form, Ed25519 signature, ETag, and what a screen may show right now.

One module is used on both sides so the server signs exactly the bytes the device verifies:
the canonical JSON (sorted keys, no spaces, UTF-8) of the manifest without its `signature`.
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

__all__ = ["canonical_json", "etag_for", "generate_keypair", "is_sha256", "media_of", "media_sizes",
           "parse_time", "sign_manifest", "verify_manifest", "visible_items"]

SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
# Left out of the ETag: the signature follows from the rest, and server_time changes on every
# response, which would make every If-None-Match miss.
_NOT_IN_ETAG = frozenset({"signature", "server_time", "version"})


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


def _unsigned(manifest: dict) -> dict:
    return {k: v for k, v in manifest.items() if k != "signature"}


def sign_manifest(manifest: dict, private_pem: bytes) -> dict:
    """A copy of the manifest with `signature` over the canonical JSON of everything else."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 private key")
    body = _unsigned(manifest)
    signed = dict(body)
    signed["signature"] = base64.b64encode(key.sign(canonical_json(body))).decode("ascii")
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


def verify_manifest(manifest: dict, public_b64: str) -> bool:
    """True only if `signature` is a valid Ed25519 signature by this key; never raises."""
    try:
        if not isinstance(manifest, dict):
            return False
        signature = _b64(manifest.get("signature"), 64)
        raw_key = _b64(public_b64, 32)
        if signature is None or raw_key is None:
            return False
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, canonical_json(_unsigned(manifest)))
        return True
    except Exception:  # InvalidSignature, or bad input of any shape: simply "not signed"
        return False


def etag_for(manifest: dict) -> str:
    """Quoted strong ETag of the manifest's content: the server computes the same one (signature,
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
    """Every media entry of items, playlist entries and the alert: dicts or bare sha256 strings."""
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
