"""Tables for public commitments (公开承诺), their progress updates (践诺) and public ratings (评诺).

A commitment is an ordinary Item of kind "commitment": its body on screens is rendered from these
rows, and every 践诺 update rides on a new revision of that item, so it is approved like anything else.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models import Base, Item, Revision, Unit, User, UTCDateTime, utcnow


class Commitment(Base):
    """公开承诺: who commits (a unit, department or party branch), what, and by when."""

    __tablename__ = "commitment"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    committer_kind: Mapped[str] = mapped_column(String(16))
    committer: Mapped[str] = mapped_column(String(100))
    pledge: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="ongoing", index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closing_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    item: Mapped[Item] = relationship()
    unit: Mapped[Unit] = relationship()
    closer: Mapped[User | None] = relationship(foreign_keys=[closed_by])
    updates: Mapped[list["CommitmentUpdate"]] = relationship(
        back_populates="commitment", order_by="CommitmentUpdate.id", cascade="all, delete-orphan")


class CommitmentUpdate(Base):
    """践诺: one progress entry (date, text, % done or a milestone), carried by one item revision."""

    __tablename__ = "commitment_update"
    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", ondelete="CASCADE"),
                                               index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int | None] = mapped_column(Integer)
    milestone: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    commitment: Mapped[Commitment] = relationship(back_populates="updates")
    revision: Mapped[Revision] = relationship()


class CommitmentRating(Base):
    """评诺: one public rating of how well a commitment is being kept (满意 / 基本满意 / 不满意)."""

    __tablename__ = "commitment_rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", ondelete="CASCADE"),
                                               index=True)
    rating: Mapped[str] = mapped_column(String(16))
    screen_code: Mapped[str | None] = mapped_column(String(16))
    device_id: Mapped[str | None] = mapped_column(String(32))
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
