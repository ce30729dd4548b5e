"""The archive's records: one plain JSON dict per revision, decision, feedback and request, with
names instead of ids where a reader of the archive needs them (unit code, category key, user names),
and people as the admin UI shows them: display name and the role they acted in."""
from __future__ import annotations

from datetime import date, datetime

from content.lifecycle import acting_role
from content.model import Role
from server.hearing.models import Feedback, HandlingStep, InfoRequest
from server.i18n import term
from server.models import Decision, Revision, User

SIGNER_ROLES = {"created": Role.CONTRIBUTOR, "submitted": Role.CONTRIBUTOR, "reviewed": Role.REVIEWER,
                "cleared": Role.CONFIDENTIALITY, "approved": Role.APPROVER, "escalated": Role.APPROVER}


def _t(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _user(s, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = s.get(User, user_id)
    return user.username if user else str(user_id)


def person(user: User | None, role: Role | None) -> dict | None:
    """{"username", "name", "role"}: the display name the admin UI shows (else the login name) and
    the role's Chinese name (archives are Chinese records)."""
    if user is None:
        return None
    return {"username": user.username, "name": user.display_name or user.username,
            "role": term("role", role.value, language="zh") if role else ""}


def revision_row(rev: Revision) -> dict:
    from sqlalchemy.orm import object_session
    s, item = object_session(rev), rev.item
    return {
        "item": item.id, "revision": rev.number, "unit": item.unit.code, "kind": item.kind,
        "related_item": item.related_item_id, "category": item.category.key,
        "category_name": item.category.name, "title": rev.title, "body": rev.body, "table": rev.table,
        "audiences": rev.audiences, "window_start": _t(rev.window_start), "window_end": _t(rev.window_end),
        "signage": getattr(rev, "signage", None), "sensitive": rev.sensitive, "status": rev.status, "reason": rev.reason,
        "created_at": _t(rev.created_at), "updated_at": _t(rev.updated_at), "published_at": _t(rev.published_at),
        **{role: _user(s, getattr(rev, f"{role}_by"))
           for role in ("created", "submitted", "reviewed", "cleared", "approved", "escalated")},
        "people": {role: person(s.get(User, getattr(rev, f"{role}_by")), SIGNER_ROLES[role])
                   for role in SIGNER_ROLES if getattr(rev, f"{role}_by") is not None},
        "attachments": [{"sha256": a.sha256, "mime": a.mime, "width": a.width, "height": a.height,
                         "size": a.size, "filename": a.filename} for a in rev.attachments],
        "decisions": [decision_row(d) for d in rev.decisions],
    }


def decision_row(d: Decision) -> dict:
    who = person(d.actor, acting_role(d.action, d.from_status))
    return {"id": d.id, "item": d.revision.item_id, "revision": d.revision.number,
            "actor": d.actor.username if d.actor else None, "action": d.action,
            "actor_name": who["name"] if who else None, "actor_role": who["role"] if who else None,
            "from": d.from_status, "to": d.to_status, "comment": d.comment, "at": _t(d.at)}


def _steps(steps: list[HandlingStep]) -> list[dict]:
    return [{"at": _t(st.at), "actor": st.actor, "action": st.action, "note": st.note} for st in steps]


def feedback_row(fb: Feedback) -> dict:
    return {
        "code": fb.code, "unit": fb.unit.code, "kind": fb.kind, "channel": fb.channel, "text": fb.text,
        "name": fb.name, "phone": fb.phone, "photo_sha256": fb.photo_sha, "screen": fb.screen_code,
        "item": fb.item_id, "category_id": fb.category_id, "conduct": fb.conduct, "status": fb.status,
        "department": fb.department, "handler": fb.handler.username if fb.handler else None,
        "received_at": _t(fb.received_at), "due_date": _t(fb.due_date), "answered_at": _t(fb.answered_at),
        "published_at": _t(fb.published_at), "closed_at": _t(fb.closed_at), "reply": fb.reply,
        "escalated": fb.escalated, "escalated_at": _t(fb.escalated_at),
        "escalation_reason": fb.escalation_reason, "rating": fb.rating, "rated_at": _t(fb.rated_at),
        "handling": _steps(fb.steps),
    }


def request_row(req: InfoRequest) -> dict:
    return {
        "code": req.code, "unit": req.unit.code, "channel": req.channel, "name": req.name,
        "id_type": req.id_type, "id_number": req.id_number, "contact": req.contact,
        "description": req.description, "delivery": req.delivery, "status": req.status,
        "received_at": _t(req.received_at), "clock_start": _t(req.clock_start), "due_date": _t(req.due_date),
        "correction_note": req.correction_note, "correction_sent_at": _t(req.correction_sent_at),
        "extended": req.extended, "extension_notice": req.extension_notice, "answer_type": req.answer_type,
        "answer_text": req.answer_text, "answer_item": req.answer_item_id, "holder": req.holder,
        "answered_at": _t(req.answered_at), "closed_at": _t(req.closed_at), "handling": _steps(req.steps),
    }
