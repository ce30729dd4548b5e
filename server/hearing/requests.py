"""依申请公开 requests (政府信息公开条例 2019 shape): receipt, 补正 (restarts the clock), one extension
with a notice, answer types, overdue alerts (delayed / long overdue). Deadlines in working days."""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content import idcard
from content.model import Role
from server import audit
from server.auth import require_roles, roles_in
from server.hearing.feedback import STAFF, by_idem, due_after, same_as, today
from server.hearing.models import HandlingStep, InfoRequest
from server.hearing.tracking import new_code
from server.models import Item, Unit, User, utcnow
from server.validation import ServiceError, text_fields
from server.workdays import calendar_for, local

ID_TYPES = ("id_card", "passport", "other")
STAFF_CHANNELS = ("letter", "visit", "hotline")  # 信函, 当面, 电话: entered by staff in the admin UI
DELIVERY = ("paper", "email", "pickup", "online")
ANSWER_TYPES = ("public", "provided", "partial", "refused", "not_exist", "not_held", "repeat")
NEEDS_REASON = ("partial", "refused", "not_held", "repeat")
OPEN = ("received", "correction", "extended")
ACTIONS = ("correction", "corrected", "extend", "answer", "close")
LIMITS = {"name": 50, "id_number": 40, "contact": 100, "description": 2000}
DEFAULTS = {"REQUEST_DAYS": 20, "REQUEST_EXTENSION_DAYS": 20, "REQUEST_CORRECTION_DAYS": 7,
            "REQUEST_LONG_OVERDUE_DAYS": 20}


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def clean(data: dict) -> tuple[dict, dict]:
    """Validated fields of a request form, and field errors."""
    out, errors = {}, {}
    for field, limit in LIMITS.items():
        value = data.get(field)
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            errors[field] = ("required", {})
        elif len(value) > limit:
            errors[field] = ("too_long", {"max": limit})
        out[field] = value
    for field, allowed in (("id_type", ID_TYPES), ("delivery", DELIVERY)):
        if data.get(field) not in allowed:
            errors[field] = ("required", {})
        out[field] = data.get(field)
    if out["id_type"] == "id_card" and "id_number" not in errors:
        out["id_number"] = idcard.normalise(out["id_number"])
        wrong = idcard.problem(out["id_number"], today())
        if wrong:
            errors["id_number"] = ("bad_id_card", {"detail": (f"idcard.{wrong}", {})})
    return out, errors


def create(s: Session, unit: Unit, data: dict, *, channel: str = "web", actor: str = "public",
           idem_key: str | None = None) -> tuple[InfoRequest, bool]:
    """Record a request (or find the one with this idempotency key); the clock starts on receipt."""
    values, errors = clean(data)
    if channel not in ("web",) + STAFF_CHANNELS:
        errors["channel"] = ("required", {})
    if errors:
        raise ServiceError(422, "invalid", errors)
    existing = by_idem(s, InfoRequest, idem_key)
    if existing is not None:
        same_as(existing, {**values, "channel": channel, "unit_id": unit.id})
        return existing, False
    now = utcnow()
    start = local(now).date()
    try:
        req = InfoRequest(unit_id=unit.id, code=new_code(s, InfoRequest, "SQ", now), channel=channel,
                          received_at=now, clock_start=start,
                          due_date=due_after(s, start, setting("REQUEST_DAYS")), idem_key=idem_key,
                          steps=[HandlingStep(actor=actor, action="received", note=channel)], **values)
        s.add(req)
        s.flush()
        audit.record(s, actor, "request.create", f"request:{req.id}", None, snapshot(req))
        s.commit()
    except IntegrityError:
        s.rollback()
        existing = by_idem(s, InfoRequest, idem_key)
        if existing is None:
            raise
        same_as(existing, {**values, "channel": channel, "unit_id": unit.id})
        return existing, False
    return req, True


def create_by_staff(s: Session, user: User, unit: Unit, data: dict,
                    idem_key: str | None = None) -> tuple[InfoRequest, bool]:
    """登记: a request that arrived by letter, in person or by phone, entered by staff; same record,
    same statutory clock from today, the channel noted."""
    require_roles(user, unit, *STAFF)
    channel = data.get("channel")
    if channel not in STAFF_CHANNELS:
        _, errors = clean(data)
        raise ServiceError(422, "invalid", {**errors, "channel": ("required", {})})
    return create(s, unit, data, channel=channel, actor=user.username, idem_key=idem_key)


def shown_id_number(user: User, req: InfoRequest) -> str:
    """The applicant's ID number in full for the supervisor only; masked for everyone else."""
    number = req.id_number
    if Role.SUPERVISOR in roles_in(user, req.unit) or len(number) <= 8:
        return number if Role.SUPERVISOR in roles_in(user, req.unit) else "****"
    return number[:3] + "****" + number[-4:]


def snapshot(req: InfoRequest) -> dict:
    return {"code": req.code, "status": req.status, "clock_start": req.clock_start.isoformat(),
            "due": req.due_date.isoformat(), "extended": req.extended, "answer_type": req.answer_type}


def _require(user: User, req: InfoRequest) -> None:
    require_roles(user, req.unit, *STAFF)


def _done(s: Session, user: User, req: InfoRequest, action: str, before: dict, note: str = "") -> InfoRequest:
    req.steps.append(HandlingStep(actor=user.username, action=action, note=note[:2000]))
    audit.record(s, user.username, f"request.{action}", f"request:{req.id}", before, snapshot(req))
    s.commit()
    return req


def _note(text: str, field: str = "note") -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(422, "invalid", {field: ("comment_required", {})})
    if len(text) > 2000:
        raise ServiceError(422, "invalid", {field: ("too_long", {"max": 2000})})
    return text


def ask_correction(s: Session, user: User, req: InfoRequest, note: str, on: date | None = None) -> InfoRequest:
    """补正: ask the applicant to correct the request, within N working days of receipt; the clock stops."""
    _require(user, req)
    if req.status != "received":
        raise ServiceError(409, "bad_state")
    on = on or today()
    limit = due_after(s, local(req.received_at).date(), setting("REQUEST_CORRECTION_DAYS"))
    if on > limit:
        raise ServiceError(409, "correction_late", limit=limit.isoformat())
    before = snapshot(req)
    req.status, req.correction_note, req.correction_sent_at = "correction", _note(note), utcnow()
    return _done(s, user, req, "correction", before, req.correction_note)


def corrected(s: Session, user: User, req: InfoRequest, on: date | None = None) -> InfoRequest:
    """补正后: the corrected request arrived on `on`; the full period starts again from that day."""
    _require(user, req)
    if req.status != "correction":
        raise ServiceError(409, "bad_state")
    before = snapshot(req)
    req.clock_start = on or today()
    req.due_date = due_after(s, req.clock_start, setting("REQUEST_DAYS"))
    req.status = "received"
    return _done(s, user, req, "corrected", before, req.clock_start.isoformat())


def extend(s: Session, user: User, req: InfoRequest, notice: str, days: int | None = None) -> InfoRequest:
    """延期: once, by up to N more working days (all N when not given), with a notice to the applicant."""
    _require(user, req)
    if req.status != "received" or req.extended:
        raise ServiceError(409, "bad_state")
    limit = setting("REQUEST_EXTENSION_DAYS")
    if days is None:
        days = limit
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
        raise ServiceError(422, "invalid", {"days": ("invalid", {})})
    before = snapshot(req)
    req.extension_notice = _note(notice, "notice")
    req.due_date = calendar_for(s).add_working_days(req.due_date, days)
    req.extended, req.status = True, "extended"
    return _done(s, user, req, "extended", before, req.extension_notice)


def answer(s: Session, user: User, req: InfoRequest, answer_type: str, text: str = "",
           item: Item | None = None, holder: str = "") -> InfoRequest:
    """答复 with one of the answer types; reasons where the law wants them, the item when already
    public, the holder when not held here."""
    _require(user, req)
    if req.status not in ("received", "extended"):
        raise ServiceError(409, "bad_state")
    errors = {}
    if answer_type not in ANSWER_TYPES:
        errors["answer_type"] = ("required", {})
    text = (text or "").strip()
    if answer_type in NEEDS_REASON and not text:
        errors["answer_text"] = ("comment_required", {})
    if len(text) > 5000:
        errors["answer_text"] = ("too_long", {"max": 5000})
    if answer_type == "public" and (item is None or item.unit_id != req.unit_id):
        errors["item"] = ("required", {})
    holder = (holder or "").strip()[:100]
    if answer_type == "not_held" and not holder:
        errors["holder"] = ("required", {})
    if errors:
        raise ServiceError(422, "invalid", errors)
    before = snapshot(req)
    req.answer_type, req.answer_text, req.holder = answer_type, text, holder
    req.answer_item_id = item.id if answer_type == "public" else None
    req.status, req.answered_at = "answered", utcnow()
    return _done(s, user, req, "answered", before, answer_type)


def close(s: Session, user: User, req: InfoRequest) -> InfoRequest:
    _require(user, req)
    if req.status != "answered":
        raise ServiceError(409, "bad_state")
    before = snapshot(req)
    req.status, req.closed_at = "closed", utcnow()
    return _done(s, user, req, "closed", before)


def _item(s: Session, value) -> Item | None:
    """The item an answer points at, by id; 422 for anything but an integer."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(422, "invalid", {"item": ("required", {})})
    return s.get(Item, value)


_STEPS = {  # action → the service function, given the request's text fields `f` and raw data `d`
    "correction": lambda s, user, req, f, d: ask_correction(s, user, req, f["note"]),
    "corrected": lambda s, user, req, f, d: corrected(s, user, req),
    "extend": lambda s, user, req, f, d: extend(s, user, req, f["notice"], d.get("days")),
    "answer": lambda s, user, req, f, d: answer(s, user, req, f["answer_type"], f["text"],
                                                _item(s, d.get("item")), f["holder"]),
    "close": lambda s, user, req, f, d: close(s, user, req),
}


def act(s: Session, user: User, req: InfoRequest, action: str, data) -> InfoRequest:
    """One handling step by name (补正 correction / 补正后重新计时 corrected / 延期 extend / 答复 answer /
    办结 close): the single entry point of the API and the HTML views. `data` holds the text fields
    (note, notice, answer_type, text, holder), `days` (an extension's working days) and `item` (id)."""
    if action not in ACTIONS:
        raise ServiceError(422, "invalid", {"action": ("unknown_action", {})})
    fields = text_fields(data, "note", "notice", "answer_type", "text", "holder")
    return _STEPS[action](s, user, req, fields, data)


def alert(s: Session, req: InfoRequest, on: date | None = None, cal=None) -> str | None:
    """Like Alaveteli: "delayed" past the due date, "long_overdue" N working days after it;
    "due_soon" on the due date or the working day before; None once answered or while in 补正."""
    if req.status not in ("received", "extended"):
        return None
    on = on or today()
    cal = cal or calendar_for(s)
    if on > req.due_date:
        late = cal.working_days_between(req.due_date, on)
        return "long_overdue" if late > setting("REQUEST_LONG_OVERDUE_DAYS") else "delayed"
    return "due_soon" if cal.working_days_between(on, req.due_date) <= 1 else None


def listing(s: Session, user: User, unit: Unit, status: str | None = None) -> list[InfoRequest]:
    require_roles(user, unit, *STAFF)
    q = select(InfoRequest).where(InfoRequest.unit_id == unit.id)
    if status == "open":
        q = q.where(InfoRequest.status.in_(OPEN))
    elif status:
        q = q.where(InfoRequest.status == status)
    return list(s.scalars(q.order_by(InfoRequest.due_date, InfoRequest.id).limit(500)))
