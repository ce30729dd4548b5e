"""Tables for hearing back: 反馈 feedback, 依申请公开 requests, their timed handling steps, and
location codes for printed QR posters. Tracking codes are random (server/hearing/tracking.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models import Base, Unit, User, UTCDateTime, utcnow

FEEDBACK_STATUSES = ("new", "assigned", "answered", "published", "closed")       # Feedback.status
REQUEST_STATUSES = ("received", "correction", "extended", "answered", "closed")  # InfoRequest.status
MAIL_STATUSES = ("off", "pending", "sending", "sent", "failed")                  # DigestRun.mail_status


class FeedbackPoint(Base):
    """A location code (公开栏, 意见箱, a ward) that a printed QR poster opens, like a screen code."""

    __tablename__ = "feedback_point"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[Unit] = relationship()


class Feedback(Base):
    """反馈: from the QR form, or entered by staff for a hotline call, the suggestion box or a visit."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16), default="qr")
    text: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(24), default="")
    photo_sha: Mapped[str | None] = mapped_column(String(64))
    screen_code: Mapped[str | None] = mapped_column(String(16))
    device_id: Mapped[str | None] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    conduct: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    department: Mapped[str] = mapped_column(String(100), default="")
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_date: Mapped[date] = mapped_column(Date)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str] = mapped_column(Text, default="")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_reason: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[str | None] = mapped_column(String(16))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    unit: Mapped[Unit] = relationship()
    handler: Mapped[User | None] = relationship()
    steps: Mapped[list["HandlingStep"]] = relationship(
        order_by="HandlingStep.id", primaryjoin="Feedback.id == HandlingStep.feedback_id",
        cascade="all, delete-orphan")


class InfoRequest(Base):
    """依申请公开: a request for information not proactively disclosed, on a statutory clock."""

    __tablename__ = "info_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    name: Mapped[str] = mapped_column(String(50))
    id_type: Mapped[str] = mapped_column(String(16))
    id_number: Mapped[str] = mapped_column(String(40))
    contact: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    delivery: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    clock_start: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    correction_note: Mapped[str] = mapped_column(Text, default="")
    correction_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_notice: Mapped[str] = mapped_column(Text, default="")
    answer_type: Mapped[str | None] = mapped_column(String(16))
    answer_text: Mapped[str] = mapped_column(Text, default="")
    answer_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    holder: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    idem_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    unit: Mapped[Unit] = relationship()
    steps: Mapped[list["HandlingStep"]] = relationship(
        order_by="HandlingStep.id", primaryjoin="InfoRequest.id == HandlingStep.request_id",
        cascade="all, delete-orphan")


class HandlingStep(Base):
    """One timed step of handling a feedback or a request: who, when, what, and a note."""

    __tablename__ = "handling_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"),
                                                    index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("info_request.id", ondelete="CASCADE"),
                                                   index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestRun(Base):
    """每日超期汇总: one row per unit and local working day. Inserting it is the once-per-day guard
    (the unique key makes a second server process back off); it keeps what was written and whether
    the e-mail went out, so a failed send is retried by the next run."""

    __tablename__ = "sla_digest_run"
    __table_args__ = (UniqueConstraint("unit_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    mail_status: Mapped[str] = mapped_column(String(16), default="off")
    mail_pending: Mapped[list] = mapped_column(JSON, default=list)
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    mail_error: Mapped[str] = mapped_column(Text, default="")
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit: Mapped[Unit] = relationship()
