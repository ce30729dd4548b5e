"""Tables for screens: enrolled devices, their commands and reports, the feed version, and signage
administration (playlist rules per screen group, alerts, group settings).

Per-item signage settings live on the revision (`Revision.signage`), so they pass through the
approval flow with the content; the signage tables here are screen administration, not content.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models import Base, Unit, UTCDateTime, utcnow

DEVICE_KINDS = ("kiosk", "signage")                 # Device.kind
DEVICE_STATUSES = ("pending", "active", "revoked")  # Device.status


class Device(Base):
    """A kiosk or signage screen: pending until an admin approves it into a unit with audiences."""

    __tablename__ = "device"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    screen_w: Mapped[int] = mapped_column(Integer)
    screen_h: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    pairing_code: Mapped[str] = mapped_column(String(8), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_collected: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    screen_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    groups: Mapped[list] = mapped_column(JSON, default=list)
    orientation: Mapped[str] = mapped_column(String(16), default="auto")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shown_version: Mapped[int | None] = mapped_column(Integer)
    health: Mapped[dict] = mapped_column(JSON, default=dict)
    screenshot_sha: Mapped[str | None] = mapped_column(String(64))
    screenshot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit: Mapped[Unit | None] = relationship()


class DeviceCommand(Base):
    """A remote command (reload, screenshot, identify) waiting for or sent down a device's stream."""

    __tablename__ = "device_command"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReportBatch(Base):
    """A batch a device reported, by its client batch id, so a retried batch counts once."""

    __tablename__ = "report_batch"
    __table_args__ = (UniqueConstraint("device_id", "batch_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    batch_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceEvent(Base):
    """One proof-of-play, touch view or rating record from a device (no personal data)."""

    __tablename__ = "device_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16), index=True)
    item_id: Mapped[int | None] = mapped_column(Integer, index=True)
    revision: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration: Mapped[float | None] = mapped_column()
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class FeedState(Base):
    """The one row holding the feed version; every change screens must see bumps it."""

    __tablename__ = "feed_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    device_epoch: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class MediaVariant(Base):
    """An image scaled to fit one screen size, stored in the media folder under its own hash."""

    __tablename__ = "media_variant"
    __table_args__ = (UniqueConstraint("source_sha", "max_w", "max_h"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_sha: Mapped[str] = mapped_column(String(64))
    max_w: Mapped[int] = mapped_column(Integer)
    max_h: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)

class SignageRule(Base):
    """A playlist rule: "all (公示/immediate) approved items of category X" on a screen group."""

    __tablename__ = "signage_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    group: Mapped[str] = mapped_column(String(64), default="")          # "" = every group
    category_key: Mapped[str] = mapped_column(String(64))
    immediate_only: Mapped[bool] = mapped_column(Boolean, default=False)
    slide: Mapped[str] = mapped_column(String(16), default="notice")
    duration: Mapped[int] = mapped_column(Integer, default=15)
    position: Mapped[int] = mapped_column(Integer, default=100)
    dayparts: Mapped[list] = mapped_column(JSON, default=list)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScreenGroup(Base):
    """Settings of one screen group of a unit: opening hours and night mode (夜间模式)."""

    __tablename__ = "screen_group"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    name: Mapped[str] = mapped_column(String(64))
    opening_hours: Mapped[list] = mapped_column(JSON, default=list)
    night_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignageAlert(Base):
    """紧急通知: covers every screen of its unit (or of the named groups) until it is cleared."""

    __tablename__ = "signage_alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    groups: Mapped[list] = mapped_column(JSON, default=list)             # [] = every screen
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
