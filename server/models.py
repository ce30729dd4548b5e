"""SQLAlchemy tables. Every item, role grant, category and (later) screen belongs to a unit."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        TypeDecorator, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """单位: a hospital, or a health bureau whose members are hospitals and clinics."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(16), default="hospital")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    hotline: Mapped[str] = mapped_column(String(40), default="")
    # what its screens show in their header (content/branding.py; server/screens/branding.py)
    brand_name: Mapped[str] = mapped_column(String(100), default="")
    brand_colour: Mapped[str] = mapped_column(String(7), default="")
    logo: Mapped[dict | None] = mapped_column(JSON, nullable=True)   # {"sha256", "type", "bytes", "width", "height"}
    parent: Mapped["Unit | None"] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    grants: Mapped[list["RoleGrant"]] = relationship(back_populates="user", cascade="all, delete-orphan")


class RoleGrant(Base):
    """A role a person holds in one unit."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    role: Mapped[str] = mapped_column(String(32))
    user: Mapped[User] = relationship(back_populates="grants")
    unit: Mapped[Unit] = relationship()


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """A failed login: per name and client for the lock-out, per name for the back-off."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A signed-in browser: the cookie holds only `sid`; logout, password change and deactivation
    end the row, and with it every copy of the cookie."""

    __tablename__ = "staff_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateHit(Base):
    """One allowed request of `key` in `scope`, kept for the window of its limit; every server
    process counts the same rows (server/guard/ratelimit.py)."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_lookup", "scope", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DataProblem(Base):
    """A stored row that could not be shown (server/guard/isolation.py): skipped where it was read,
    listed for staff on 公开监督 until fixed."""

    __tablename__ = "data_problem"
    __table_args__ = (UniqueConstraint("target", "place"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    place: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(300), default="")
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Category(Base):
    """One node of a unit's 公开目录 (copied from the default catalog, then edited by admins)."""

    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("unit_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    parent_key: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(100), default="")
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    time_rule: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    disclosure_days: Mapped[int] = mapped_column(Integer, default=20)
    position: Mapped[int] = mapped_column(Integer, default=0)
    unit: Mapped[Unit] = relationship()


class Department(Base):
    """A department of a unit (科室/部门), kept as a list so names are chosen, not typed: feedback is
    assigned to one, a catalog category is owned by one."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Item(Base):
    """公开事项; `kind` is "item", or "notice" for a published 撤销/更正说明 about `related_item`."""

    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    kind: Mapped[str] = mapped_column(String(16), default="item")
    related_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unit: Mapped[Unit] = relationship()
    category: Mapped[Category] = relationship()
    revisions: Mapped[list["Revision"]] = relationship(
        back_populates="item", order_by="Revision.number", cascade="all, delete-orphan")


class Revision(Base):
    """One version of an item with its own workflow state; signers are user ids."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("item_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    table: Mapped[dict | None] = mapped_column(JSON)
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cleared_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    escalated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # last to change the draft
    override: Mapped[dict | None] = mapped_column(JSON)  # content/ceiling.py: an approver's widening
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edit_version: Mapped[int] = mapped_column(Integer, default=1)
    signage: Mapped[dict | None] = mapped_column(JSON)   # server/screens/signage.py: how it plays on screens
    item: Mapped[Item] = relationship(back_populates="revisions")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="revision", order_by="Attachment.position", cascade="all, delete-orphan")
    decisions: Mapped[list["Decision"]] = relationship(
        back_populates="revision", order_by="Decision.id", cascade="all, delete-orphan")


class Decision(Base):
    """Every workflow step taken on a revision: who, when, from which state to which, and why."""

    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[User | None] = relationship()
    revision: Mapped[Revision] = relationship(back_populates="decisions")


class Attachment(Base):
    """An image of a revision, stored once in the media folder under its SHA-256."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revision.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[Revision] = relationship(back_populates="attachments")


class AuditEntry(Base):
    """Append-only audit log; each entry's hash covers its content and the previous hash."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(100))
    before: Mapped[str] = mapped_column(Text, default="null")
    after: Mapped[str] = mapped_column(Text, default="null")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CalendarOverride(Base):
    """Admin-edited working-day table for years the calendar package does not know yet."""

    __tablename__ = "calendar_override"
    day: Mapped[datetime] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")
