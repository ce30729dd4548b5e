"""What the feed and the event stream need to know about a screen, read once per device epoch.

Devices and units change rarely; publishing changes often. Keying these snapshots by the
device epoch (moved only by device or unit changes) keeps the database out of the hot path of
a thousand streams waking for a publish.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.screens.branding import block_of
from server.screens.models import Device
from server.screens.lru import app_lru
from server.models import Unit

CACHE_SIZE = 8192


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    kind: str
    status: str
    name: str
    location: str
    screen_code: str | None
    audiences: tuple[str, ...]
    groups: tuple[str, ...]
    orientation: str
    screen_w: int
    screen_h: int
    unit_id: int | None
    unit_parent_id: int | None
    unit: dict
    branding: dict = field(default_factory=dict)    # server/screens/branding.py: name, colour, logo

    @property
    def units(self) -> tuple[int, ...]:
        """A screen shows its unit's items and those its bureau publishes to every member."""
        return (self.unit_id,) + ((self.unit_parent_id,) if self.unit_parent_id else ())


def _query():
    return (select(Device, Unit.parent_id, Unit.code, Unit.name, Unit.name_en, Unit.hotline,
                   Unit.brand_name, Unit.brand_colour, Unit.logo)
            .outerjoin(Unit, Device.unit_id == Unit.id))


def _info(row) -> DeviceInfo:
    d, parent_id, code, name, name_en, hotline, brand_name, brand_colour, logo = row
    return DeviceInfo(d.id, d.kind, d.status, d.name, d.location, d.screen_code, tuple(sorted(d.audiences)),
                      tuple(d.groups), d.orientation, d.screen_w, d.screen_h, d.unit_id, parent_id,
                      {"code": code, "name": name, "name_en": name_en, "hotline": hotline},
                      block_of(name or "", brand_name or "", brand_colour or "", logo))


def _cached(s: Session, name: str, column, value: str, epoch: int) -> DeviceInfo | None:
    """The snapshot of the device whose `column` is `value`, read once per device epoch."""
    def load():
        row = s.execute(_query().where(column == value)).first()
        return _info(row) if row else False
    return app_lru(name, CACHE_SIZE).get_or_build((value, epoch), load) or None


def by_id(s: Session, device_id: str, epoch: int) -> DeviceInfo | None:
    return _cached(s, "device_by_id", Device.id, device_id, epoch)


def by_token_hash(s: Session, token_hash: str, epoch: int) -> DeviceInfo | None:
    return _cached(s, "device_by_token", Device.token_hash, token_hash, epoch)
