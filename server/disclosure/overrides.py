"""放宽目录限制: an approver's explicit override of the catalog ceiling (content/ceiling.py) on a draft —
audiences wider than its category's, or a sensitive category's item not marked sensitive — with a
reason. Stored on the revision (a correction inherits it), shown in the item's history as a step of
its own, and in the audit chain; every refusal of it is audited too."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from content import ceiling, lifecycle
from content.lifecycle import Action, Flow, WorkflowError
from content.model import AudiencePlan, Status
from server import audit
from server.disclosure.ceiling import category_audiences
from server.disclosure.items import actor_for, flow_of, snapshot, working_revision
from server.models import Decision, Item, Revision, User, utcnow
from server.validation import ServiceError, clean_item_fields

MAX_REASON = 1000


def override(db: Session, user: User, item: Item, data: dict, now: datetime | None = None) -> Revision:
    """Let the item's draft go beyond its category: `audiences` (a list or 先内后外 steps) and/or
    `sensitive` false, with a `reason`. 403 without the approver role, 409 when no draft, 422 with the
    field named for a missing reason, bad values or nothing beyond the category."""
    now = now or utcnow()
    rev = working_revision(item)
    target = f"item:{item.id}/r{(rev or item.revisions[-1]).number}"
    flow = flow_of(rev) if rev is not None else Flow(status=Status(item.revisions[-1].status))
    try:
        lifecycle.apply(flow, Action.OVERRIDE, actor_for(user, item.unit))
    except WorkflowError as exc:
        if exc.kind == "role":
            audit.refusal(db, user.username, "item.override", target, {"code": exc.code})
            raise ServiceError(403, "role_missing", {"override": ("override_approver_only", {})}) from None
        raise ServiceError(409, "not_editable") from None
    values, errors = _values(data)
    if errors:
        raise ServiceError(422, "invalid", errors)
    plan = AudiencePlan.from_list(values.get("audiences", rev.audiences))
    sensitive = values.get("sensitive", bool(rev.sensitive))
    cat = item.category
    wider = ceiling.beyond(plan, sensitive, category_audiences(cat), cat.sensitive)
    if not wider.audiences and not wider.unmark:
        raise ServiceError(422, "invalid", {"audiences": ("override_not_needed", {"category": cat.name})})
    before = snapshot(rev)
    rev.audiences, rev.sensitive = plan.to_list(), sensitive
    rev.override = {**wider.to_dict(), "reason": values["reason"], "by": user.username,
                    "at": now.isoformat()}
    rev.edit_version += 1
    rev.updated_at = now
    db.add(Decision(revision=rev, actor_id=user.id, action=Action.OVERRIDE.value, from_status=rev.status,
                    to_status=rev.status, comment=values["reason"], at=now))
    audit.record(db, user.username, "item.override", target, before, snapshot(rev))
    db.commit()
    return rev


def _values(data: dict) -> tuple[dict, dict]:
    """The reason (required), and audiences and sensitive when given, checked like an edit's."""
    reason = data.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    errors = {}
    if not reason:
        errors["reason"] = ("override_reason", {})
    elif len(reason) > MAX_REASON:
        errors["reason"] = ("too_long", {"max": MAX_REASON})
    fields = {k: data[k] for k in ("audiences", "sensitive") if data.get(k) is not None}
    clean, more = clean_item_fields(fields, max_body=current_app.config["MAX_BODY_BYTES"], partial=True)
    errors.update(more)
    return {**clean, "reason": reason}, errors
