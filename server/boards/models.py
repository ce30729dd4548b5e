"""The 张贴记录 table: which revision of which item hangs on which 公开栏 (a FeedbackPoint), since when,
and when it came down or was replaced. Outdated postings are derived from it and the revisions'
statuses (server/boards/postings.py); nothing hooks the workflow."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.hearing.models import FeedbackPoint
from server.models import Base, Item, Unit, User, UTCDateTime, utcnow


class BoardPosting(Base):
    """One print of revision `revision_number` of `item` posted on `board`; open until taken down."""

    __tablename__ = "board_posting"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("feedback_point.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    revision_number: Mapped[int] = mapped_column(Integer)
    paper: Mapped[str] = mapped_column(String(16), default="A4-portrait")
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    photo_sha: Mapped[str | None] = mapped_column(String(64))
    taken_down_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    taken_down_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("board_posting.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[Unit] = relationship()
    board: Mapped[FeedbackPoint] = relationship()
    item: Mapped[Item] = relationship()
    poster: Mapped[User | None] = relationship(foreign_keys=[posted_by])
