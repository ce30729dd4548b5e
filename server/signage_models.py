"""Tables for signage: playlist rules per screen group, alerts, group settings (the signage issue).

Per-item signage settings live on the revision (`Revision.signage`), so they pass through the
approval flow with the content; what is here is screen administration, which is not content.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UTCDateTime, utcnow


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
