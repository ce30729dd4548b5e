"""反馈 feedback: create (QR form, kiosk, staff-entered channels), triage, assign, answer, publish,
close, escalate; 限时办结 deadlines in working days; random tracking codes (tracking.py)."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.model import Role
from server import audit
from server.auth import require_roles, roles_in
from server.hearing.models import Feedback, HandlingStep
from server.hearing.tracking import new_code, rating_key_ok
from server.models import Category, Item, Unit, User, utcnow
from server.staff import check_department
from server.validation import ServiceError, limited, text_fields
from server.workdays import calendar_for, local

KINDS = ("suggestion", "complaint", "praise", "question")
CHANNELS = ("qr", "hotline", "box", "visit", "kiosk")
STAFF_CHANNELS = ("hotline", "box", "visit")
RATINGS = ("satisfied", "basic", "unsatisfied")
OPEN = ("new", "assigned", "answered")
ACTIONS = ("assign", "answer", "publish", "close", "escalate")
STAFF = (Role.REVIEWER, Role.HANDLER, Role.SUPERVISOR)  # open the inbox, enter calls, letters, visits
POINT_MANAGERS = (Role.ADMIN, Role.REVIEWER)  # 二维码位置 location codes
STATS_READERS = (Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN, Role.CONTRIBUTOR)  # 评议 statistics
MAX_TEXT = 1000
MAX_NAME = 50
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,22}$")
DEFAULT_DAYS = 5
ESCALATE_AFTER = 3  # working days overdue before a feedback goes to the supervisor by itself


# --- deadlines ---------------------------------------------------------------------------------

def days_for(kind: str) -> int:
    """限时办结 working days for a feedback type (FEEDBACK_DAYS, or FEEDBACK_DAYS_BY_KIND[kind])."""
    cfg = current_app.config
    return int((cfg.get("FEEDBACK_DAYS_BY_KIND") or {}).get(kind, cfg.get("FEEDBACK_DAYS", DEFAULT_DAYS)))


def due_after(s: Session, received: datetime | date, days: int) -> date:
    """The N-th working day after the local date received (a holiday receipt counts from the next)."""
    day = local(received).date() if isinstance(received, datetime) else received
    return calendar_for(s).add_working_days(day, days)


def today() -> date:
    return local(utcnow()).date()


def badge(s: Session, fb, on: date | None = None, cal=None) -> str | None:
    """"overdue" past the due date, "due_soon" on it or the working day before, while still open."""
    if fb.status not in OPEN or getattr(fb, "answered_at", None) is not None:
        return None
    on = on or today()
    if on > fb.due_date:
        return "overdue"
    cal = cal or calendar_for(s)
    return "due_soon" if cal.working_days_between(on, fb.due_date) <= 1 else None


def on_time(fb: Feedback) -> bool | None:
    """答复及时: answered on or before the due date (None while unanswered)."""
    if fb.answered_at is None:
        return None
    return local(fb.answered_at).date() <= fb.due_date


# --- creating ---------------------------------------------------------------------------------

def clean_phone(value: str, errors: dict, field: str = "phone") -> str:
    value = (value or "").strip()
    if value and not PHONE.match(value):
        errors[field] = ("bad_phone", {})
    return value


def clean(data: dict) -> tuple[dict, dict]:
    """Validated type, text, name and phone of a feedback, and field errors."""
    errors, out = {}, {}
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = ("required", {})
    out["kind"] = kind
    text = data.get("text")
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        errors["text"] = ("required", {})
    elif len(text) > MAX_TEXT:
        errors["text"] = ("too_long", {"max": MAX_TEXT})
    out["text"] = text
    name = (data.get("name") or "").strip() if isinstance(data.get("name", ""), str) else ""
    if len(name) > MAX_NAME:
        errors["name"] = ("too_long", {"max": MAX_NAME})
    out["name"] = name
    out["phone"] = clean_phone(data.get("phone") if isinstance(data.get("phone"), str) else "", errors)
    return out, errors


def by_idem(s: Session, model, key: str | None):
    return s.scalar(select(model).where(model.idem_key == key)) if key else None


def same_as(existing, values: dict) -> None:
    """A repeat of an idempotency key must carry what the first request did: 409 idem_conflict
    otherwise (a second, different record must never silently come back as the first)."""
    if any(getattr(existing, name) != value for name, value in values.items()):
        raise ServiceError(409, "idem_conflict")


def create(s: Session, unit: Unit, data: dict, *, channel: str = "qr", actor: str = "public",
           idem_key: str | None = None, photo_sha: str | None = None, screen_code: str | None = None,
           device_id: str | None = None, item: Item | None = None) -> tuple[Feedback, bool]:
    """Store one feedback; a second call with the same idempotency key hits the unique index and
    returns the first row instead. Returns (row, created)."""
    values, errors = clean(data)
    if channel not in CHANNELS:
        errors["channel"] = ("invalid", {})
    if errors:
        raise ServiceError(422, "invalid", errors)
    now = utcnow()
    try:
        fb = Feedback(unit_id=unit.id, code=new_code(s, Feedback, "FK", now), channel=channel, received_at=now,
                      due_date=due_after(s, now, days_for(values["kind"])), idem_key=idem_key,
                      photo_sha=photo_sha, screen_code=screen_code, device_id=device_id,
                      item_id=item.id if item else None, category_id=item.category_id if item else None,
                      steps=[HandlingStep(actor=actor, action="received", note=channel)], **values)
        _auto_route(s, fb, item)
        s.add(fb)
        s.flush()
        audit.record(s, actor, "feedback.create", f"feedback:{fb.id}", None, snapshot(fb))
        s.commit()
    except IntegrityError:
        s.rollback()
        existing = by_idem(s, Feedback, idem_key)
        if existing is None:
            raise
        same_as(existing, {**values, "channel": channel, "unit_id": unit.id})
        return existing, False
    return fb, True


def _auto_route(s: Session, fb: Feedback, item: Item | None) -> None:
    """About an item whose category has an owner department: assigned to that department at once."""
    cat = s.get(Category, item.category_id) if item is not None else None
    if cat is not None and cat.owner:
        fb.department, fb.status = cat.owner, "assigned"
        _step(fb, "system", "assigned", cat.owner)


def _step(fb: Feedback, actor: str, action: str, note: str = "") -> None:
    fb.steps.append(HandlingStep(actor=actor, action=action, note=note[:2000]))


def snapshot(fb: Feedback) -> dict:
    return {"code": fb.code, "kind": fb.kind, "channel": fb.channel, "status": fb.status,
            "department": fb.department, "handler": fb.handler_id, "due": fb.due_date.isoformat(),
            "escalated": fb.escalated, "reply": fb.reply, "rating": fb.rating}


def add_point(s: Session, user: User, unit: Unit, code: str, name: str):
    """A location code (公开栏, 意见箱, a ward) for printed QR posters; admins and reviewers."""
    from server.hearing.models import FeedbackPoint
    require_roles(user, unit, *POINT_MANAGERS)
    code, name = (code or "").strip().upper(), (name or "").strip()
    errors = {}
    if not re.fullmatch(r"[A-Z0-9_-]{2,16}", code):
        errors["code"] = ("invalid", {})
    elif s.scalar(select(FeedbackPoint.id).where(FeedbackPoint.code == code)) is not None:
        errors["code"] = ("key_taken", {})
    if not name or len(name) > 100:
        errors["name"] = ("required", {})
    if errors:
        raise ServiceError(422, "invalid", errors)
    point = FeedbackPoint(unit_id=unit.id, code=code, name=name)
    s.add(point)
    s.flush()
    audit.record(s, user.username, "feedback_point.create", f"feedback_point:{point.id}", None,
                 {"code": code, "name": name})
    s.commit()
    return point


# --- who may see and do what ------------------------------------------------------------------

def can_view(user: User, fb: Feedback) -> bool:
    roles = roles_in(user, fb.unit)
    if Role.SUPERVISOR in roles or Role.REVIEWER in roles:
        return True
    return Role.HANDLER in roles and (fb.handler_id in (None, user.id))


def sees_phone(user: User, fb: Feedback) -> bool:
    """Full phone number: the supervisor and the handler the feedback is assigned to; else masked."""
    roles = roles_in(user, fb.unit)
    return Role.SUPERVISOR in roles or (Role.HANDLER in roles and fb.handler_id == user.id)


def mask_phone(phone: str) -> str:
    digits = phone.replace(" ", "").replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def _state(fb: Feedback, *allowed: str) -> None:
    if fb.status not in allowed:
        raise ServiceError(409, "bad_state")


def _commit(s: Session, user: User, fb: Feedback, action: str, before: dict, note: str = "") -> Feedback:
    _step(fb, user.username, action, note)
    audit.record(s, user.username, f"feedback.{action}", f"feedback:{fb.id}", before, snapshot(fb))
    s.commit()
    return fb


# --- handling ---------------------------------------------------------------------------------

def assign(s: Session, user: User, fb: Feedback, department: str, handler: User | None = None,
           kind: str | None = None, conduct: bool = False) -> Feedback:
    """分办 (公开办): set the department and optionally the handler; a staff-conduct complaint
    goes to the supervisor too."""
    require_roles(user, fb.unit, Role.REVIEWER, Role.SUPERVISOR)
    _state(fb, "new", "assigned")
    department = (department or "").strip()
    if not department or department != fb.department:   # the stored one stays valid even if retired
        department = check_department(s, fb.unit, department)
    if handler is not None and Role.HANDLER not in roles_in(handler, fb.unit):
        raise ServiceError(422, "invalid", {"handler": ("not_handler", {})})
    before = snapshot(fb)
    if kind in KINDS:
        fb.kind = kind
    fb.department, fb.handler_id, fb.status = department, handler.id if handler else None, "assigned"
    if conduct and fb.kind == "complaint":
        fb.conduct = True
        _escalate(fb, "conduct")
    return _commit(s, user, fb, "assigned", before, department)


def answer(s: Session, user: User, fb: Feedback, reply: str) -> Feedback:
    """答复 (handler): write the reply; it reaches the tracking page once published."""
    require_roles(user, fb.unit, Role.HANDLER)
    _state(fb, "assigned", "answered")
    if fb.handler_id not in (None, user.id):
        raise ServiceError(403, "forbidden")
    reply = (reply or "").strip()
    if not reply:
        raise ServiceError(422, "invalid", {"reply": ("required", {})})
    if len(reply) > 5000:
        raise ServiceError(422, "invalid", {"reply": ("too_long", {"max": 5000})})
    before = snapshot(fb)
    fb.reply, fb.status, fb.handler_id = reply, "answered", user.id
    fb.answered_at = fb.answered_at or utcnow()
    return _commit(s, user, fb, "answered", before)


def publish(s: Session, user: User, fb: Feedback) -> Feedback:
    """发布答复: the reply appears on /t/<code>."""
    require_roles(user, fb.unit, Role.REVIEWER, Role.HANDLER)
    _state(fb, "answered")
    before = snapshot(fb)
    fb.status, fb.published_at = "published", utcnow()
    return _commit(s, user, fb, "published", before)


def close(s: Session, user: User, fb: Feedback, note: str = "") -> Feedback:
    """办结: closed after the reply was published (or, with a note, without one, e.g. a duplicate)."""
    require_roles(user, fb.unit, Role.REVIEWER, Role.SUPERVISOR)
    _state(fb, "published", "new", "assigned", "answered")
    if fb.status != "published" and not (note or "").strip():
        raise ServiceError(422, "invalid", {"note": ("comment_required", {})})
    limited(note or "", "note")
    before = snapshot(fb)
    fb.status, fb.closed_at = "closed", utcnow()
    return _commit(s, user, fb, "closed", before, note or "")


def escalate(s: Session, user: User, fb: Feedback, reason: str) -> Feedback:
    """上报纪委/工会: the supervisor takes a look (staff conduct, long overdue, anything serious)."""
    require_roles(user, fb.unit, *STAFF)
    if fb.escalated:
        raise ServiceError(409, "bad_state")
    if not (reason or "").strip():
        raise ServiceError(422, "invalid", {"reason": ("comment_required", {})})
    limited(reason, "reason")
    before = snapshot(fb)
    _escalate(fb, reason.strip())
    return _commit(s, user, fb, "escalated", before, reason)


def _handler(s: Session, value) -> User | None:
    """The handler named by user id or user name; None when not given; 422 when unknown."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ServiceError(422, "invalid", {"handler": ("not_handler", {})})
    user = s.get(User, value) if isinstance(value, int) else \
        s.scalar(select(User).where(User.username == value))
    if user is None:
        raise ServiceError(422, "invalid", {"handler": ("not_handler", {})})
    return user


_STEPS = {  # action → the service function, given the request's text fields `f` and raw data `d`
    "assign": lambda s, user, fb, f, d: assign(s, user, fb, f["department"], _handler(s, d.get("handler")),
                                               f["kind"] or None, conduct=d.get("conduct") is True),
    "answer": lambda s, user, fb, f, d: answer(s, user, fb, f["reply"]),
    "publish": lambda s, user, fb, f, d: publish(s, user, fb),
    "close": lambda s, user, fb, f, d: close(s, user, fb, f["note"]),
    "escalate": lambda s, user, fb, f, d: escalate(s, user, fb, f["reason"]),
}


def act(s: Session, user: User, fb: Feedback, action: str, data) -> Feedback:
    """One handling step by name (分办 assign / 答复 answer / 发布 publish / 办结 close / 上报 escalate):
    the single entry point of the API and the HTML views. `data` holds the text fields (department,
    kind, reply, note, reason), `handler` (user id or name) and `conduct` (True to report conduct)."""
    if action not in ACTIONS:
        raise ServiceError(422, "invalid", {"action": ("unknown_action", {})})
    if "conduct" in data and not isinstance(data["conduct"], bool):
        raise ServiceError(422, "invalid", {"conduct": ("invalid", {})})
    fields = text_fields(data, "department", "kind", "reply", "note", "reason")
    return _STEPS[action](s, user, fb, fields, data)


def _escalate(fb: Feedback, reason: str) -> None:
    fb.escalated, fb.escalated_at, fb.escalation_reason = True, utcnow(), reason


def escalate_overdue(s: Session, unit: Unit, on: date | None = None) -> list[Feedback]:
    """Open feedback overdue by more than FEEDBACK_ESCALATE_AFTER working days goes to the supervisor."""
    on = on or today()
    after = int(current_app.config.get("FEEDBACK_ESCALATE_AFTER", ESCALATE_AFTER))
    cal = calendar_for(s)
    rows = s.scalars(select(Feedback).where(Feedback.unit_id == unit.id, Feedback.status.in_(OPEN),
                                            Feedback.answered_at.is_(None), Feedback.escalated.is_(False),
                                            Feedback.due_date < on)).all()
    done = [fb for fb in rows if cal.working_days_between(fb.due_date, on) > after]
    for fb in done:
        _escalate(fb, "overdue")
        _step(fb, "system", "escalated", "overdue")
        audit.record(s, "system", "feedback.escalated", f"feedback:{fb.id}", None, snapshot(fb))
    if done:
        s.commit()
    return done


def rate(s: Session, fb: Feedback, rating: str, key: str | None) -> Feedback:
    """对处理结果评价 from the tracking page: once, after the reply was published, and only with the
    rating link's key the submitter got with the code (403 naming the field otherwise)."""
    if not rating_key_ok(fb.code, key):
        raise ServiceError(403, "forbidden", {"key": ("rating_key", {})})
    if rating not in RATINGS:
        raise ServiceError(422, "invalid", {"rating": ("invalid", {})})
    if fb.status not in ("published", "closed") or fb.rating is not None:
        raise ServiceError(409, "bad_state")
    before = snapshot(fb)
    fb.rating, fb.rated_at = rating, utcnow()
    _step(fb, "public", "rated", rating)
    audit.record(s, "public", "feedback.rated", f"feedback:{fb.id}", before, snapshot(fb))
    s.commit()
    return fb


def inbox(s: Session, user: User, unit: Unit, status: str | None = None) -> list[Feedback]:
    """The feedback this person handles in the unit: all for reviewer/supervisor, own/unassigned for
    handlers; open first, oldest due first."""
    q = select(Feedback).where(Feedback.unit_id == unit.id)
    roles = roles_in(user, unit)
    if not {Role.REVIEWER, Role.SUPERVISOR} & roles:
        if Role.HANDLER not in roles:
            raise ServiceError(403, "role_missing")
        q = q.where((Feedback.handler_id == user.id) | (Feedback.handler_id.is_(None)),
                    Feedback.status != "new")
    if status == "escalated":
        q = q.where(Feedback.escalated.is_(True))
    elif status == "open":
        q = q.where(Feedback.status.in_(OPEN))
    elif status:
        q = q.where(Feedback.status == status)
    rows = s.scalars(q.order_by(Feedback.due_date, Feedback.id).limit(500)).all()
    return sorted(rows, key=lambda fb: (fb.status not in OPEN, fb.due_date, fb.id))


def overdue_digest(s: Session, unit: Unit, on: date | None = None) -> dict[str, list[Feedback]]:
    """每日超期汇总: open, unanswered overdue feedback per department (the same rule as the badge)."""
    on = on or today()
    rows = s.scalars(select(Feedback).where(Feedback.unit_id == unit.id, Feedback.status.in_(OPEN),
                                            Feedback.answered_at.is_(None), Feedback.due_date < on)
                     .order_by(Feedback.due_date, Feedback.id))
    out: dict[str, list[Feedback]] = {}
    for fb in rows:
        out.setdefault(fb.department or "—", []).append(fb)
    return out
