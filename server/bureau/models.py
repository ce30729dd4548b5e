"""Tables of 督查通报: the circular (an ordinary item of the bureau), its findings per member hospital,
and the hospitals' 整改 notes, kept append-only so nothing said to the bureau is silently overwritten."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models import Base, Item, Unit, User, UTCDateTime, utcnow


class Circular(Base):
    """督查通报: the bureau's item carrying it, the month it covers and the 整改 time it allows."""

    __tablename__ = "circular"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), unique=True)
    bureau_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    rectification_days: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    item: Mapped[Item] = relationship()
    bureau: Mapped[Unit] = relationship()
    findings: Mapped[list["Finding"]] = relationship(
        back_populates="circular", order_by="Finding.id", cascade="all, delete-orphan")


class Finding(Base):
    """One member hospital × one finding kind (server/bureau/findings.py) with its figure; accepted
    once the bureau is satisfied with the 整改 notes (then no more notes)."""

    __tablename__ = "circular_finding"
    id: Mapped[int] = mapped_column(primary_key=True)
    circular_id: Mapped[int] = mapped_column(ForeignKey("circular.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    figure: Mapped[int] = mapped_column(Integer)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    circular: Mapped[Circular] = relationship(back_populates="findings")
    unit: Mapped[Unit] = relationship()
    acceptor: Mapped[User | None] = relationship(foreign_keys=[accepted_by])
    notes: Mapped[list["RectificationNote"]] = relationship(
        back_populates="finding", order_by="RectificationNote.id", cascade="all, delete-orphan")


class RectificationNote(Base):
    """整改 note: what the hospital did about one finding. Never edited; a later note adds to it."""

    __tablename__ = "rectification_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("circular_finding.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finding: Mapped[Finding] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship(foreign_keys=[created_by])
