"""Tables for drop-folder ingest: one row per file taken (what became of it), and each category's import target."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UTCDateTime, utcnow


class IngestedFile(Base):
    """A file taken from the inbox: where it came from, its SHA-256, and what became of it
    (outcome `processed`, `duplicate` or `rejected`, with the reason shown beside the file)."""

    __tablename__ = "ingested_file"
    __table_args__ = (Index("ix_ingested_file_lookup", "unit_id", "category_key", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    category_key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    revision_number: Mapped[int | None] = mapped_column(Integer)
    moved_to: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IngestTarget(Base):
    """Where a category's dropped files go when their name names no item: its import item (set by
    an admin under 公开目录, or by the category's first import), or with `new_items` a new item
    for every file. One row per category; none means the first import will set the item."""

    __tablename__ = "ingest_target"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), unique=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    new_items: Mapped[bool] = mapped_column(Boolean, default=False)
    set_by: Mapped[str] = mapped_column(String(64), default="")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
