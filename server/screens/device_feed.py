"""The signed per-device feed manifest (protocol in docs/architecture.md, signage parts in docs/signage.md).

Cheap for many screens: the item list, playlist and ticker are serialised once per (units,
audiences, groups, screen size, version) with a placeholder where each screen's feedback URL goes;
the alert and group settings once per (unit, groups, version); a device's manifest is then the
canonical JSON assembled from cached pieces, one string replace and one Ed25519 signature.
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from content import visibility
from content.manifest import canonical_json
from content.model import Audience, Status
from server.disclosure.exposure import plan_of, window_of
from server.guard.isolation import flag, sound_revisions
from server.screens.device_info import DeviceInfo
from server.screens.lru import app_lru
from server.screens.models import Device
from server.screens.variants import variant_for
from server.models import Category, Item, Revision, Unit, utcnow
from server.screens.push import Mark
from server.screens.signage import alert_for, group_settings, playlist_parts, unit_rules
from server.workdays import local

PLACEHOLDER = "gk-feedback-" + secrets.token_hex(8)
SHARED_CACHE_SIZE = 64
DEVICE_CACHE_SIZE = 4096


def _iso(when: datetime | None) -> str | None:
    return local(when).isoformat() if when else None


def screens_for(s: Session, rev: Revision) -> list[Device]:
    """The active screens whose feed carries `rev` now, were it live — by the feed's own rule: screens
    of the item's unit and, for a bureau's item, of its member units (DeviceInfo.units), to whose
    audiences a 先内后外 step has opened (content.visibility.screen_may_receive), unless its window has
    ended. A later step reaches more screens when it opens."""
    unit_id = rev.item.unit_id
    devices = s.scalars(select(Device).join(Unit, Device.unit_id == Unit.id).where(
        Device.status == "active", (Unit.id == unit_id) | (Unit.parent_id == unit_id))
        .order_by(Device.kind, Device.name, Device.id)).all()
    plan, window, now = plan_of(rev), window_of(rev), utcnow()
    return [d for d in devices if visibility.screen_may_receive(
        Status.PUBLISHED, plan, window, (Audience(a) for a in d.audiences), now)]


def signage_block(s: Session, rev: Revision, device: Device) -> dict | None:
    """{"slide", "duration"} the revision gets in this signage screen's playlist, by the playlist's own
    rule (the item's settings, else the first matching rule of the screen's groups); None if it does
    not play there."""
    start = visibility.opens_to(plan_of(rev), rev.window_start, (Audience(a) for a in device.audiences))
    if start is False or device.unit is None:
        return None
    units = (device.unit_id,) + ((device.unit.parent_id,) if device.unit.parent_id else ())
    groups = tuple(device.groups or ())
    return playlist_parts(unit_rules(s, units, groups), groups, [(rev, start)], _iso)["blocks"].get(rev.item.id)


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


def _shared_parts(s: Session, device: DeviceInfo, version: int) -> dict:
    audiences = frozenset(Audience(a) for a in device.audiences)
    screen = (device.screen_w, device.screen_h)
    key = (device.units, audiences, device.groups, screen, version)
    return app_lru("feed_shared", SHARED_CACHE_SIZE).get_or_build(
        key, lambda: _build_shared_parts(s, device, audiences, screen))


def _build_shared_parts(s: Session, device: DeviceInfo, audiences: frozenset[Audience],
                        screen: tuple[int, int]) -> dict:
    revs = s.scalars(select(Revision).join(Item).options(
        joinedload(Revision.item).joinedload(Item.category), selectinload(Revision.attachments)).where(
        Item.unit_id.in_(device.units), Revision.status.in_(["published", "scheduled"]))
        .order_by(Revision.published_at.desc(), Item.id.desc())).all()
    items, live, now = [], [], utcnow()
    for rev in sound_revisions(revs, "feed"):     # one bad stored row must not break every screen
        try:   # content/visibility.py: only once a step open to this screen has opened (先内后外)
            plan = plan_of(rev)
            if visibility.screen_may_receive(rev.status, plan, window_of(rev), audiences, now):
                start = visibility.opens_to(plan, rev.window_start, audiences)
                items.append(_item_json(s, rev, start, screen))
                live.append((rev, start))
        except Exception as exc:  # noqa: BLE001 — skipped and flagged, the other items still go out
            flag(f"item:{rev.item_id}/r{rev.number}", device.unit_id, "feed", exc)
    signage = playlist_parts(unit_rules(s, device.units, device.groups), device.groups, live, _iso)
    for item in items:
        if item["id"] in signage["blocks"]:
            item["signage"] = signage["blocks"][item["id"]]
    cats = s.scalars(select(Category).where(Category.unit_id == device.unit_id)
                     .order_by(Category.position, Category.id)).all()
    catalog = [{"id": c.key, "name": c.name, "name_en": c.name_en, "parent": c.parent_key,
                "audiences": c.audiences, "time_rule": c.time_rule, "description": c.description}
               for c in cats if {Audience(a) for a in c.audiences} & audiences]
    parts = {"items": canonical_json(items), "catalog": canonical_json(catalog),
             "playlist": canonical_json(signage["playlist"]), "ticker": canonical_json(signage["ticker"]),
             "media": frozenset(m["sha256"] for i in items for m in i["media"])}
    parts["digest"] = hashlib.sha256(b"\0".join(
        parts[k] for k in ("items", "catalog", "playlist", "ticker"))).digest()
    s.commit()  # variants made while building are kept
    return parts


def _group_parts(s: Session, device: DeviceInfo, version: int) -> dict:
    """The alert and device.signage for the device's unit and groups (per unit/groups, not audiences)."""
    key = (device.units, device.groups, version)
    return app_lru("feed_group", SHARED_CACHE_SIZE).get_or_build(key, lambda: {
        "alert": canonical_json(alert_for(s, device.units, device.groups, _iso)),
        "signage": group_settings(s, device.unit_id, device.groups)})


def content_state(s: Session, device: DeviceInfo, version: int) -> tuple:
    """Changes exactly when the device's manifest content changes (cheap: no per-device build)."""
    group = _group_parts(s, device, version)
    return _shared_parts(s, device, version)["digest"], group["alert"], repr(group["signage"]), device


def device_block(device: DeviceInfo, signage: dict | None = None, feedback_url: str = "") -> dict:
    """`feedback_url`: the screen's own /f/<code> at PUBLIC_BASE_URL, for its general QR code (a
    screen's --server address is how *it* reaches the server, not how a phone does)."""
    return {"signage": signage or {"opening_hours": [], "night_mode": False}, "feedback_url": feedback_url,
            "device_id": device.id, "kind": device.kind, "name": device.name,
            "location": device.location, "screen_code": device.screen_code,
            "audiences": list(device.audiences), "groups": list(device.groups),
            "orientation": device.orientation, "screen": {"w": device.screen_w, "h": device.screen_h},
            "unit": device.unit}


def assemble(parts: dict[str, bytes]) -> bytes:
    """Canonical JSON of an object whose values are already canonical JSON (keys sorted)."""
    return b"{" + b",".join(canonical_json(k) + b":" + parts[k] for k in sorted(parts)) + b"}"


class DeviceFeed:
    """One device's manifest at one version: bytes to send, ETag, media it may fetch."""

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


def build_device_feed(s: Session, device: DeviceInfo, mark: Mark) -> DeviceFeed:
    """The device's feed at this mark; cached, since the mark moves on every visible change."""
    return app_lru("device_feed", DEVICE_CACHE_SIZE).get_or_build(
        (device.id, mark), lambda: _build_device_feed(s, device, mark.version))


def _build_device_feed(s: Session, device: DeviceInfo, version: int) -> DeviceFeed:
    shared = _shared_parts(s, device, version)
    group = _group_parts(s, device, version)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    url = f"{base}/f/{device.screen_code}"
    parts = {"version": canonical_json(version),
             "device": canonical_json(device_block(device, group["signage"], url)),
             "catalog": shared["catalog"],
             "items": shared["items"].replace(PLACEHOLDER.encode(), url.encode()),
             "playlist": shared["playlist"], "ticker": shared["ticker"], "alert": group["alert"]}
    content = assemble({k: v for k, v in parts.items() if k != "version"})
    return DeviceFeed(content, parts, version, shared["media"])


def preview_manifest(s: Session, device: DeviceInfo, version: int) -> dict:
    """The unsigned manifest a device like `device` would get now (the admin UI's live preview)."""
    feed = _build_device_feed(s, device, version)
    return json.loads(assemble(dict(feed.parts, server_time=canonical_json(local(utcnow()).isoformat()))))
