"""Feedback (反馈) and information requests (依申请公开) in the staff API: the inbox, one record with its
handling steps, staff-entered records and the handling actions. Thin over server/hearing/feedback.py and
server/hearing/requests.py, so the role and state rules are the HTML UI's own."""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from content.model import Role
from server import db
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.api import bp, caller_unit, json_body
from server.auth import roles_in, units_of
from server.hearing.models import Feedback, InfoRequest
from server.models import Item, User
from server.validation import ServiceError
from server.workdays import calendar_for

FEEDBACK_ACTIONS = ("assign", "answer", "publish", "close", "escalate")
REQUEST_ACTIONS = ("correction", "corrected", "extend", "answer", "close")
STAFF_ROLES = {Role.REVIEWER, Role.HANDLER, Role.SUPERVISOR}


def _iso(value):
    return value.isoformat() if value else None


def _steps(rows) -> list[dict]:
    return [{"actor": st.actor, "action": st.action, "note": st.note, "at": _iso(st.at)} for st in rows]


def feedback_json(fb: Feedback, user: User, cal=None, steps: bool = False) -> dict:
    """A feedback as this caller may see it: the phone masked unless they are the supervisor or
    the handler it is assigned to (like the admin UI)."""
    s = db.session()
    phone = fb.phone if not fb.phone or fbs.sees_phone(user, fb) else fbs.mask_phone(fb.phone)
    out = {"id": fb.id, "code": fb.code, "unit": fb.unit.code, "kind": fb.kind, "channel": fb.channel,
           "text": fb.text, "name": fb.name, "phone": phone, "status": fb.status,
           "department": fb.department, "handler": fb.handler.username if fb.handler else None,
           "received_at": _iso(fb.received_at), "due": fb.due_date.isoformat(),
           "badge": fbs.badge(s, fb, cal=cal), "on_time": fbs.on_time(fb),
           "answered_at": _iso(fb.answered_at), "published_at": _iso(fb.published_at),
           "closed_at": _iso(fb.closed_at), "reply": fb.reply, "escalated": fb.escalated,
           "escalation_reason": fb.escalation_reason, "conduct": fb.conduct, "rating": fb.rating,
           "screen_code": fb.screen_code, "item": fb.item_id, "photo": fb.photo_sha}
    if steps:
        out["steps"] = _steps(fb.steps)
    return out


def request_json(req: InfoRequest, user: User, cal=None, steps: bool = False) -> dict:
    """A request as staff see it; the applicant's ID number masked except for the supervisor."""
    s = db.session()
    out = {"id": req.id, "code": req.code, "unit": req.unit.code, "channel": req.channel,
           "name": req.name, "id_type": req.id_type, "id_number": rqs.shown_id_number(user, req),
           "contact": req.contact, "description": req.description, "delivery": req.delivery,
           "status": req.status, "received_at": _iso(req.received_at),
           "clock_start": req.clock_start.isoformat(), "due": req.due_date.isoformat(),
           "alert": rqs.alert(s, req, cal=cal), "correction_note": req.correction_note,
           "extended": req.extended, "extension_notice": req.extension_notice,
           "answer_type": req.answer_type, "answer_text": req.answer_text,
           "answer_item": req.answer_item_id, "holder": req.holder,
           "answered_at": _iso(req.answered_at), "closed_at": _iso(req.closed_at)}
    if steps:
        out["steps"] = _steps(req.steps)
    return out


def _text(data: dict, *names: str) -> dict:
    """The named fields as strings ("" when absent); any other type is a 422 on that field."""
    out, errors = {}, {}
    for name in names:
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = ("invalid", {})
        out[name] = value if isinstance(value, str) else ""
    if errors:
        raise ServiceError(422, "invalid", errors)
    return out


def idempotency_key() -> str | None:
    """The Idempotency-Key header (≤ 48 characters), scoped to the caller: a repeated POST returns
    the record the first one stored instead of a second one."""
    raw = request.headers.get("Idempotency-Key", "").strip()
    if not raw:
        return None
    if len(raw) > 48:
        raise ServiceError(422, "invalid", {"Idempotency-Key": ("too_long", {"max": 48})})
    return f"api{g.user.id}:{raw}"


def _load(model, record_id: int):
    """The record if it belongs to one of the caller's units; 404 otherwise (no existence leak)."""
    row = db.session().get(model, record_id)
    if row is None or row.unit_id not in {u.id for u in units_of(db.session(), g.user)}:
        raise ServiceError(404, "not_found")
    return row


def load_feedback(fb_id: int) -> Feedback:
    fb = _load(Feedback, fb_id)
    if not fbs.can_view(g.user, fb):
        raise ServiceError(403, "forbidden")
    return fb


def load_request(req_id: int) -> InfoRequest:
    req = _load(InfoRequest, req_id)
    if not STAFF_ROLES & roles_in(g.user, req.unit):
        raise ServiceError(403, "role_missing")
    return req


# --- feedback ---------------------------------------------------------------------------------

@bp.get("/feedback")
def list_feedback():
    """The caller's inbox in a unit (?unit=, ?status=open|escalated|new|assigned|answered|published|
    closed|all): everything for reviewer/supervisor, own or unassigned for handlers."""
    s = db.session()
    unit = caller_unit()
    status = request.args.get("status", "open")
    if status not in ("open", "escalated", "all", "new", "assigned", "answered", "published", "closed"):
        raise ServiceError(422, "invalid", {"status": ("invalid", {})})
    rows = fbs.inbox(s, g.user, unit, None if status == "all" else status)
    cal = calendar_for(s)
    return jsonify([feedback_json(fb, g.user, cal) for fb in rows])


@bp.post("/feedback")
def create_feedback():
    """登记: a hotline call, a suggestion-box note or a visit, entered by staff."""
    data = json_body()
    unit = caller_unit(data.get("unit") if isinstance(data.get("unit"), str) else None)
    if not STAFF_ROLES & roles_in(g.user, unit):
        raise ServiceError(403, "role_missing")
    fields = _text(data, "channel", "kind", "text", "name", "phone")
    if fields["channel"] not in fbs.STAFF_CHANNELS:
        raise ServiceError(422, "invalid", {"channel": ("required", {})})
    fb, created = fbs.create(db.session(), unit, fields, channel=fields["channel"],
                             actor=g.user.username, idem_key=idempotency_key())
    return jsonify(feedback_json(fb, g.user, steps=True)), 201 if created else 200


@bp.get("/feedback/<int:fb_id>")
def get_feedback(fb_id: int):
    """One feedback with its timed handling steps."""
    return jsonify(feedback_json(load_feedback(fb_id), g.user, steps=True))


def _handler(value) -> User | None:
    """The handler named by user name or id; None when not given; 422 when unknown."""
    if value in (None, ""):
        return None
    s = db.session()
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ServiceError(422, "invalid", {"handler": ("not_handler", {})})
    user = s.get(User, value) if isinstance(value, int) else \
        s.scalar(select(User).where(User.username == value))
    if user is None:
        raise ServiceError(422, "invalid", {"handler": ("not_handler", {})})
    return user


@bp.post("/feedback/<int:fb_id>/actions")
def feedback_action(fb_id: int):
    """分办 assign / 答复 answer / 发布 publish / 办结 close / 上报 escalate: 200 the feedback,
    403 role, 409 state, 422 input."""
    data = json_body()
    fb = load_feedback(fb_id)
    s = db.session()
    action = data.get("action")
    if action not in FEEDBACK_ACTIONS:
        raise ServiceError(422, "invalid", {"action": ("unknown_action", {})})
    f = _text(data, "department", "kind", "reply", "note", "reason")
    if "conduct" in data and not isinstance(data["conduct"], bool):
        raise ServiceError(422, "invalid", {"conduct": ("invalid", {})})
    if action == "assign":
        fbs.assign(s, g.user, fb, f["department"], _handler(data.get("handler")), f["kind"] or None,
                   conduct=bool(data.get("conduct")))
    elif action == "answer":
        fbs.answer(s, g.user, fb, f["reply"])
    elif action == "publish":
        fbs.publish(s, g.user, fb)
    elif action == "close":
        fbs.close(s, g.user, fb, f["note"])
    else:
        fbs.escalate(s, g.user, fb, f["reason"])
    return jsonify(feedback_json(fb, g.user, steps=True))


@bp.get("/feedback/digests")
def list_digests():
    """每日超期汇总 the daily job wrote for the unit (reviewer, supervisor, admin), newest first."""
    from server.hearing import sla_jobs
    unit = caller_unit()
    if not {Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN} & roles_in(g.user, unit):
        raise ServiceError(403, "role_missing")
    return jsonify([{"day": r.day.isoformat(), "overdue": r.overdue, "escalated": r.escalated,
                     "mail_status": r.mail_status, "mail_attempts": r.mail_attempts,
                     "mail_error": r.mail_error, "departments": (r.data or {}).get("departments", {}),
                     "requests": (r.data or {}).get("requests", [])}
                    for r in sla_jobs.recent(db.session(), unit)])


# --- requests ---------------------------------------------------------------------------------

@bp.get("/requests")
def list_requests():
    """依申请公开 requests of a unit (?unit=, ?status=open|received|correction|extended|answered|
    closed|all) with their statutory due dates and delayed / long-overdue alerts."""
    s = db.session()
    unit = caller_unit()
    status = request.args.get("status", "open")
    if status not in ("open", "all", "received", "correction", "extended", "answered", "closed"):
        raise ServiceError(422, "invalid", {"status": ("invalid", {})})
    rows = rqs.listing(s, g.user, unit, None if status == "all" else status)
    cal = calendar_for(s)
    return jsonify([request_json(r, g.user, cal) for r in rows])


@bp.post("/requests")
def create_request():
    """登记: a request that came by letter, in person or by phone (channel letter|visit|hotline)."""
    data = json_body()
    unit = caller_unit(data.get("unit") if isinstance(data.get("unit"), str) else None)
    fields = _text(data, "channel", "name", "id_type", "id_number", "contact", "description", "delivery")
    req, created = rqs.create_by_staff(db.session(), g.user, unit, fields, idempotency_key())
    return jsonify(request_json(req, g.user, steps=True)), 201 if created else 200


@bp.get("/requests/<int:req_id>")
def get_request(req_id: int):
    """One request with its timed handling steps."""
    return jsonify(request_json(load_request(req_id), g.user, steps=True))


@bp.post("/requests/<int:req_id>/actions")
def request_action(req_id: int):
    """补正 correction / 补正后重新计时 corrected / 延期 extend / 答复 answer / 办结 close."""
    data = json_body()
    req = load_request(req_id)
    s = db.session()
    action = data.get("action")
    if action not in REQUEST_ACTIONS:
        raise ServiceError(422, "invalid", {"action": ("unknown_action", {})})
    f = _text(data, "note", "notice", "answer_type", "text", "holder")
    if action == "correction":
        rqs.ask_correction(s, g.user, req, f["note"])
    elif action == "corrected":
        rqs.corrected(s, g.user, req)
    elif action == "extend":
        rqs.extend(s, g.user, req, f["notice"], data.get("days"))
    elif action == "answer":
        item_id = data.get("item")
        if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, int)):
            raise ServiceError(422, "invalid", {"item": ("required", {})})
        item = s.get(Item, item_id) if item_id is not None else None
        rqs.answer(s, g.user, req, f["answer_type"], f["text"], item, f["holder"])
    else:
        rqs.close(s, g.user, req)
    return jsonify(request_json(req, g.user, steps=True))
