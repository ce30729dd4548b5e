"""Feedback (反馈) and information requests (依申请公开) in the staff API: the inbox, one record with its
handling steps, staff-entered records and the handling actions. Thin over server/hearing/feedback.py and
server/hearing/requests.py, so the role and state rules are the HTML UI's own."""
from __future__ import annotations

from flask import g, jsonify, request

from server import db
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.api import bp, caller_unit, json_body
from server.auth import require_roles, units_of
from server.hearing.models import Feedback, InfoRequest
from server.hearing.tracking import rating_url
from server.models import User
from server.validation import ServiceError, text_fields
from server.workdays import calendar_for



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
    require_roles(g.user, req.unit, *fbs.STAFF)
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
    require_roles(g.user, unit, *fbs.STAFF)
    fields = text_fields(data, "channel", "kind", "text", "name", "phone")
    if fields["channel"] not in fbs.STAFF_CHANNELS:
        raise ServiceError(422, "invalid", {"channel": ("required", {})})
    fb, created = fbs.create(db.session(), unit, fields, channel=fields["channel"],
                             actor=g.user.username, idem_key=idempotency_key())
    out = feedback_json(fb, g.user, steps=True)
    out["rating_url"] = rating_url(fb.code)
    return jsonify(out), 201 if created else 200


@bp.get("/feedback/<int:fb_id>")
def get_feedback(fb_id: int):
    """One feedback with its timed handling steps."""
    return jsonify(feedback_json(load_feedback(fb_id), g.user, steps=True))


@bp.post("/feedback/<int:fb_id>/actions")
def feedback_action(fb_id: int):
    """分办 assign / 答复 answer / 发布 publish / 办结 close / 上报 escalate: 200 the feedback,
    403 role, 409 state, 422 input."""
    data = json_body()
    fb = load_feedback(fb_id)
    s = db.session()
    fbs.act(s, g.user, fb, data.get("action"), data)
    return jsonify(feedback_json(fb, g.user, steps=True))


@bp.get("/feedback/digests")
def list_digests():
    """每日超期汇总 the daily job wrote for the unit (reviewer, supervisor, admin), newest first."""
    from server.hearing import sla_jobs
    unit = caller_unit()
    require_roles(g.user, unit, *sla_jobs.READERS)
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
    fields = text_fields(data, "channel", "name", "id_type", "id_number", "contact", "description", "delivery")
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
    rqs.act(s, g.user, req, data.get("action"), data)
    return jsonify(request_json(req, g.user, steps=True))
