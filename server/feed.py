"""The signed per-device feed manifest (DESIGN.md §3).

Cheap for many screens: the item list is serialised once per (units, audiences, groups, screen size,
version) with a placeholder where each screen's feedback URL goes; a device's manifest is then the
canonical JSON assembled from cached pieces, one string replace and one Ed25519 signature.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections import OrderedDict
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.manifest import canonical_json
from content.model import Audience, AudiencePlan
from server.device_models import Device
from server.media_variants import variant_for
from server.models import Category, Item, Revision, Unit
from server.push import current_version
from server.workdays import local

PLACEHOLDER = "gk-feedback-" + secrets.token_hex(8)
CACHE_SIZE = 64
_lock = threading.Lock()


def _cache() -> OrderedDict:
    """Shared parts per app (one instance's ids mean nothing to another's)."""
    return current_app.extensions.setdefault("gongkai.feed_cache", OrderedDict())


def _iso(when: datetime | None) -> str | None:
    return local(when).isoformat() if when else None


def device_start(rev: Revision, audiences: frozenset[Audience]) -> datetime | None | bool:
    """When the revision opens to these audiences (先内后外): its window start or a later step;
    False if it never does."""
    plan = AudiencePlan.from_list(rev.audiences)
    opens = [s.at for s in plan.steps if s.audiences & audiences]
    if not opens:
        return False
    step = None if None in opens else min(opens)
    candidates = [t for t in (rev.window_start, step) if t is not None]
    return max(candidates) if candidates else None


def _item_json(s: Session, rev: Revision, start, screen: tuple[int, int]) -> dict:
    item = rev.item
    out = {"id": item.id, "revision": rev.number, "category": item.category.key, "kind": item.kind,
           "title": rev.title, "body": rev.body,
           "media": [variant_for(s, att, screen) for att in rev.attachments],
           "window": {"start": _iso(start), "end": _iso(rev.window_end)},
           "published_at": _iso(rev.published_at),
           "feedback_url": f"{PLACEHOLDER}?item={item.id}"}
    if rev.table:
        out["table"] = rev.table
    return out


def _units(device: Device) -> list[int]:
    """A screen shows its unit's items and those its bureau publishes to every member."""
    unit = device.unit
    return [unit.id] + ([unit.parent_id] if unit.parent_id else [])


def _shared_parts(s: Session, device: Device, version: int) -> dict[str, bytes]:
    audiences = frozenset(Audience(a) for a in device.audiences)
    screen = (device.screen_w, device.screen_h)
    key = (tuple(_units(device)), audiences, tuple(device.groups), screen, version)
    cache = _cache()
    with _lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    revs = s.scalars(select(Revision).join(Item).where(
        Item.unit_id.in_(_units(device)), Revision.status.in_(["published", "scheduled"]))
        .order_by(Revision.published_at.desc(), Item.id.desc())).all()
    items = []
    for rev in revs:
        start = device_start(rev, audiences)
        if start is not False:
            items.append(_item_json(s, rev, start, screen))
    cats = s.scalars(select(Category).where(Category.unit_id == device.unit_id)
                     .order_by(Category.position, Category.id)).all()
    catalog = [{"id": c.key, "name": c.name, "name_en": c.name_en, "parent": c.parent_key,
                "audiences": c.audiences, "time_rule": c.time_rule, "description": c.description}
               for c in cats if {Audience(a) for a in c.audiences} & audiences]
    parts = {"items": canonical_json(items), "catalog": canonical_json(catalog),
             "media": frozenset(m["sha256"] for i in items for m in i["media"])}
    s.commit()  # variants made while building are kept
    with _lock:
        cache[key] = parts
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return parts


def device_block(device: Device) -> dict:
    unit: Unit = device.unit
    return {"device_id": device.id, "kind": device.kind, "name": device.name,
            "location": device.location, "screen_code": device.screen_code,
            "audiences": sorted(device.audiences), "groups": list(device.groups),
            "orientation": device.orientation, "screen": {"w": device.screen_w, "h": device.screen_h},
            "unit": {"code": unit.code, "name": unit.name, "name_en": unit.name_en,
                     "hotline": unit.hotline}}


def assemble(parts: dict[str, bytes]) -> bytes:
    """Canonical JSON of an object whose values are already canonical JSON (keys sorted)."""
    return b"{" + b",".join(canonical_json(k) + b":" + parts[k] for k in sorted(parts)) + b"}"


class DeviceFeed:
    """One device's manifest at the current version: bytes to send, ETag, media it may fetch."""

    def __init__(self, content: bytes, parts: dict, version: int, media: frozenset):
        """`content` is the manifest without version, time and signature: equal content, equal ETag."""
        self.tag = hashlib.sha256(content).hexdigest()[:32]
        self.etag = f'"{self.tag}"'
        self.parts = parts
        self.version = version
        self.media = media

    def signed_body(self, key, now: datetime) -> bytes:
        parts = dict(self.parts, server_time=canonical_json(local(now).isoformat()))
        unsigned = assemble(parts)
        signature = base64.b64encode(key.sign(unsigned)).decode("ascii")
        parts["signature"] = canonical_json(signature)
        return assemble(parts)


DEVICE_CACHE_SIZE = 4096


def build_device_feed(s: Session, device: Device) -> DeviceFeed:
    """The device's feed at the current version; every screen-visible change (device settings
    included) moves the version, so (device, version) identifies it."""
    version = current_version(s)
    cache = current_app.extensions.setdefault("gongkai.device_feeds", OrderedDict())
    key = (device.id, version)
    with _lock:
        if key in cache:
            return cache[key]
    built = _build_device_feed(s, device, version)
    with _lock:
        cache[key] = built
        while len(cache) > DEVICE_CACHE_SIZE:
            cache.popitem(last=False)
    return built


def _build_device_feed(s: Session, device: Device, version: int) -> DeviceFeed:
    shared = _shared_parts(s, device, version)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    url = f"{base}/f/{device.screen_code}"
    parts = {"version": canonical_json(version), "device": canonical_json(device_block(device)),
             "catalog": shared["catalog"],
             "items": shared["items"].replace(PLACEHOLDER.encode(), url.encode()),
             "playlist": b"[]", "ticker": b"[]", "alert": b"null"}
    content = assemble({k: v for k, v in parts.items() if k != "version"})
    return DeviceFeed(content, parts, version, shared["media"])
