"""The signed per-device feed manifest, protocol version 2 (docs/architecture.md, device
protocol; signage parts in docs/signage.md; pages and blobs in content/feedpages.py).

Cheap for many screens: the items are packed into content-addressed pages, the catalog into a
blob, and playlist and ticker serialised, once per (units, audiences, groups, screen size,
version); tables and long bodies become blobs once per revision (feed_parts.py); the alert and
group settings once per (unit, groups, version). Pages hold nothing per screen (the feedback link
is rebuilt on the screen from device.feedback_base), so screens of a kind share them, and that
shared part is signed once per kind of screen and version; a device's manifest adds its device
block, signed once per distinct block (feed_signing.py).
"""
from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from content import visibility
from content.feedpages import PROTOCOL, hydrate
from content.manifest import canonical_json, scope_of
from content.model import Audience, Status
from server import db
from server.background import start_periodic
from server.disclosure.exposure import plan_of, window_of
from server.guard.isolation import flag, sound_revisions
from server.screens import feed_blobs, feed_parts
from server.screens.feed_signing import DeviceFeed, SharedFeed, signed_device_block
from server.screens.device_info import DeviceInfo, by_id
from server.screens.lru import app_lru
from server.screens.models import Device
from server.screens.variants import variant_for
from server.models import Category, Item, Revision, Unit, utcnow
from server.screens.push import Mark, current_mark
from server.screens.signage import alert_for, group_settings, playlist_parts, unit_rules
from server.workdays import local

SHARED_CACHE_SIZE = 64
DEVICE_CACHE_SIZE = 8192


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
    """An item as its page holds it: metadata, short text, blob references; nothing per screen."""
    item = rev.item
    out = {"id": item.id, "revision": rev.number, "category": item.category.key, "kind": item.kind,
           "title": rev.title,
           "media": [variant_for(s, att, screen) for att in rev.attachments],
           "window": {"start": _iso(start), "end": _iso(rev.window_end)},
           "published_at": _iso(rev.published_at)}
    out.update(feed_parts.blob_fields(rev))
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
    parts = feed_parts.pack(items, [rev for rev, _ in live], catalog)
    parts.update({"playlist": canonical_json(signage["playlist"]), "ticker": canonical_json(signage["ticker"])})
    parts["digest"] = hashlib.sha256(b"\0".join(
        parts[k] for k in ("item_pages", "catalog_blob", "playlist", "ticker"))).digest()
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


def device_block(device: DeviceInfo, signage: dict | None = None) -> dict:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {"signage": signage or {"opening_hours": [], "night_mode": False},
            "device_id": device.id, "kind": device.kind, "name": device.name,
            "location": device.location, "screen_code": device.screen_code,
            "audiences": list(device.audiences), "groups": list(device.groups),
            "orientation": device.orientation, "screen": {"w": device.screen_w, "h": device.screen_h},
            "unit": device.unit, "branding": device.branding, "feedback_base": f"{base}/f/{device.screen_code}"}


def build_device_feed(s: Session, device: DeviceInfo, mark: Mark) -> DeviceFeed:
    """The device's feed at this mark; cached, since the mark moves on every visible change."""
    return app_lru("device_feed", DEVICE_CACHE_SIZE).get_or_build(
        (device.id, mark), lambda: _build_device_feed(s, device, mark.version))


def _signed_shared(s: Session, device: DeviceInfo, version: int) -> SharedFeed:
    """The shared part for the device's kind of screen at this version, signed once."""
    def build():
        shared, group = _shared_parts(s, device, version), _group_parts(s, device, version)
        scope = scope_of(device_block(device))
        return SharedFeed({"protocol": canonical_json(PROTOCOL), "version": canonical_json(version),
                           "scope": canonical_json(scope), "catalog_blob": shared["catalog_blob"],
                           "item_pages": shared["item_pages"], "playlist": shared["playlist"],
                           "ticker": shared["ticker"], "alert": group["alert"]}, shared)
    key = (device.units, frozenset(device.audiences), device.groups, (device.screen_w, device.screen_h), version)
    return app_lru("feed_signed_shared", SHARED_CACHE_SIZE).get_or_build(key, build)


def _build_device_feed(s: Session, device: DeviceInfo, version: int) -> DeviceFeed:
    shared = _signed_shared(s, device, version)
    block, signature = signed_device_block(device_block(device, _group_parts(s, device, version)["signage"]))
    logo = device.branding.get("logo") or {}
    return DeviceFeed(shared, version, block, signature, frozenset([logo["sha256"]]) if logo else frozenset())


def restore_files(s: Session, device: DeviceInfo, version: int) -> None:
    """Write the device's pages and blobs again if they went missing from the feed folder (the
    sweep, a lost disk): a fresh build, not the cached one, stores whatever is absent — once per
    kind of screen, version and minute, however many screens ask at the same time."""
    audiences = frozenset(Audience(a) for a in device.audiences)
    screen = (device.screen_w, device.screen_h)
    key = (device.units, audiences, device.groups, screen, version, int(time.time() // 60))
    app_lru("feed_restored", SHARED_CACHE_SIZE).get_or_build(
        key, lambda: bool(_build_shared_parts(s, device, audiences, screen)))


def referenced_files(s: Session, version: int) -> set[str]:
    """Every page and blob some active screen's current feed references (what the sweep keeps)."""
    epoch = current_mark(s).device_epoch
    out: set[str] = set()
    for device_id in s.scalars(select(Device.id).where(Device.status == "active")):
        info = by_id(s, device_id, epoch)
        if info is not None:
            out |= set(_shared_parts(s, info, version)["blob_types"])
    return out


def start_sweep(app):
    """Each process removes, every few hours, feed files no active screen's feed references once
    they are a week old (derived files: a later build writes any it needs again)."""
    def work():
        s = db.session()
        mark = current_mark(s)
        feed_blobs.sweep(app.config["MEDIA_DIR"], referenced_files(s, mark.version))
    return start_periodic(app, "gongkai-feed-sweep", work, feed_blobs.SWEEP_SECONDS, first=60)


def preview_manifest(s: Session, device: DeviceInfo, version: int) -> dict:
    """The manifest a device like `device` would get now, hydrated as a screen sees it (the admin
    UI's live preview)."""
    feed = _build_device_feed(s, device, version)
    return hydrate(json.loads(feed.body), feed.read)
