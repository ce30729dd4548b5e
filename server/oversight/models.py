"""信息报送: a hospital's monthly oversight report as sent to its bureau — a frozen snapshot, so later
edits of items, feedback or ratings never change what was sent; each resubmission is a new row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models import Base, Unit, User, UTCDateTime, utcnow


class ReportSubmission(Base):
    """One sending of one month's report (server/oversight/submissions.py); the latest row counts."""

    __tablename__ = "report_submission"
    __table_args__ = (Index("ix_report_submission_unit_month", "unit_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    bureau_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)   # the bureau it was sent to
    month: Mapped[str] = mapped_column(String(7))                              # "YYYY-MM"
    snapshot: Mapped[dict] = mapped_column(JSON)                               # server/oversight/snapshot.py
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    bureau: Mapped[Unit] = relationship(foreign_keys=[bureau_id])
    submitter: Mapped[User | None] = relationship()
