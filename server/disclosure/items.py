"""Disclosure items: drafts, edits, corrections and workflow actions, shared by the API and admin UI."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from content import lifecycle, need_to_know
from content.lifecycle import PERSON_ACTIONS, Action, Actor, Flow, WorkflowError, allowed_actions
from content.model import FINAL_STATUSES, LIVE_STATUSES, Role, Status, TimeRule
from content.timerules import window_for
from server import audit
from server.auth import require_roles, roles_in
from server.disclosure.ceiling import category_audiences, check_ceiling
from server.models import Attachment, Category, Decision, Item, Revision, Unit, User, utcnow
from server.screens.signage import clean_settings
from server.disclosure.uploads import read_uploads
from server.validation import ServiceError, clean_item_fields, limited
from server.workdays import calendar_for, local

IN_PROGRESS = frozenset(Status) - LIVE_STATUSES - FINAL_STATUSES
SIGNERS = ("submitted_by", "reviewed_by", "cleared_by", "approved_by", "escalated_by")
NOTICE_TITLES = {"withdraw": "撤销说明：{title}", "correct": "更正说明：{title}"}
SIGN_OFF = frozenset({"review", "clear", "approve", "escalate"})
SIGN_OFF_ROLES = frozenset({Role.REVIEWER, Role.CONFIDENTIALITY, Role.APPROVER})


def actor_for(user: User, unit: Unit) -> Actor:
    return Actor(user.id, roles_in(user, unit))


def authors_of(item: Item) -> set:
    """Who wrote the item: created it, or created, edited or submitted one of its revisions."""
    people = {item.created_by}
    for rev in item.revisions:
        people |= {rev.created_by, rev.edited_by, rev.submitted_by}
    return people - {None}


def can_view(user: User, item: Item) -> bool:
    """A role in the item's unit, and need-to-know for a confidential draft (content/need_to_know.py)."""
    working = working_revision(item)
    confidential = working is not None and need_to_know.confidential(
        category_audiences(item.category), item.category.sensitive, working.sensitive)
    return need_to_know.may_see(roles_in(user, item.unit), user.id, authors_of(item),
                                confidential=confidential, in_progress=working is not None)


def visible(user: User, rows) -> list[Item]:
    """The items among `rows` the user may see."""
    return [item for item in rows if can_view(user, item)]


def allowed_for(user: User, item: Item) -> list[str]:
    """Actions the user may take now: those on the working revision, plus withdraw on the live one."""
    actor = actor_for(user, item.unit)
    working = working_revision(item)
    actions = [a.value for a in allowed_actions(flow_of(working), actor)] if working else []
    live = live_revision(item)
    if live is not None and Action.WITHDRAW in allowed_actions(flow_of(live), actor):
        actions.append(Action.WITHDRAW.value)
    return actions


def awaits(user: User, item: Item) -> bool:
    """True when the item waits for the user's sign-off (审议, 保密审查, 审定 or 再审定)."""
    return bool(SIGN_OFF & set(allowed_for(user, item)))


def unit_items(db: Session, unit: Unit, limit: int = 500) -> list[Item]:
    """The unit's items, newest first."""
    return list(db.scalars(select(Item).where(Item.unit_id == unit.id)
                           .order_by(Item.id.desc()).limit(limit)))


def working_revision(item: Item) -> Revision | None:
    """The newest revision still in the workflow (draft to approved), if any."""
    rev = item.revisions[-1] if item.revisions else None
    return rev if rev is not None and Status(rev.status) in IN_PROGRESS else None


def live_revision(item: Item) -> Revision | None:
    """The revision on screens now or scheduled to be."""
    for rev in reversed(item.revisions):
        if Status(rev.status) in LIVE_STATUSES:
            return rev
    return None


def find_category(db: Session, unit: Unit, key) -> Category:
    cat = db.scalar(select(Category).where(Category.unit_id == unit.id, Category.key == key)) \
        if isinstance(key, str) else None
    if cat is None:
        raise ServiceError(422, "invalid", {"category": ("unknown_category", {})})
    return cat


def _fields(data: dict, partial: bool) -> dict:
    clean, errors = clean_item_fields(data, max_body=current_app.config["MAX_BODY_BYTES"],
                                      partial=partial)
    if "signage" in data:
        clean["signage"], more = clean_settings(data["signage"])
        errors.update(more)
    if errors:
        raise ServiceError(422, "invalid", errors)
    return clean


def create_draft(db: Session, user: User, unit: Unit, data: dict, *, table: dict | None = None,
                 visuals: list[tuple[dict, str]] = (), upload_errors: dict | None = None) -> Item:
    """A new item with revision 1 as a draft; audiences and sensitivity default from the category,
    which is also their ceiling (content/ceiling.py): wider audiences or un-marking are refused.
    `table` and `visuals` (image metadata, file name) come checked from read_uploads; its errors are
    reported with the fields' own, and then nothing is created."""
    require_roles(user, unit, Role.CONTRIBUTOR)
    errors = dict(upload_errors or {})
    try:
        cat = find_category(db, unit, data.get("category"))
    except ServiceError as exc:
        errors.update(exc.fields)
        cat = None
    try:
        clean = _fields(data, partial=False)
    except ServiceError as exc:
        errors.update(exc.fields)
    if errors:
        raise ServiceError(422, "invalid", errors)
    item = Item(unit=unit, category=cat, created_by=user.id)
    rev = Revision(number=1, title=clean["title"], body=clean.get("body", ""),
                   audiences=clean.get("audiences") or [{"audiences": sorted(cat.audiences), "at": None}],
                   window_start=clean.get("window_start"), window_end=clean.get("window_end"),
                   sensitive=clean.get("sensitive", cat.sensitive), signage=clean.get("signage"),
                   table=table, created_by=user.id)
    for meta, name in visuals:
        rev.attachments.append(_attachment(meta, name, len(rev.attachments)))
    item.revisions.append(rev)
    check_ceiling(db, user, cat, rev, "item.create", f"unit:{unit.code}")
    db.add(item)
    db.flush()
    audit.record(db, user.username, "item.create", f"item:{item.id}", None,
                 {**snapshot(rev), "images": [a.sha256 for a in rev.attachments]})
    db.commit()
    return item


def _attachment(meta: dict, filename: str, position: int) -> Attachment:
    return Attachment(sha256=meta["sha256"], mime=meta["mime"], width=meta["width"], height=meta["height"],
                      size=meta["size"], filename=(filename or "")[:200], position=position)


def editable_draft(user: User, item: Item, version=None, *, need_version: bool = False) -> Revision:
    """The draft the user may change now: 403 without the role, 409 if none or `version` is stale."""
    require_roles(user, item.unit, Role.CONTRIBUTOR)
    rev = working_revision(item)
    if rev is None or rev.status != Status.DRAFT.value:
        raise ServiceError(409, "not_editable")
    if version is None or version == "":
        if need_version:
            raise ServiceError(422, "invalid", {"version": ("version_required", {})})
    elif str(version) != str(rev.edit_version):
        raise ServiceError(409, "stale_edit")
    return rev


def edit_draft(db: Session, user: User, item: Item, data: dict, version) -> Revision:
    """Change the draft; `version` must be the edit version the editor saw (else 409)."""
    rev = editable_draft(user, item, version, need_version=True)
    clean = _fields(data, partial=True)
    cat = find_category(db, item.unit, data["category"]) if "category" in data else item.category
    before = snapshot(rev)
    if "category" in data:
        item.category = cat
    for name in ("title", "body", "audiences", "window_start", "window_end", "sensitive", "signage"):
        if name in clean:
            setattr(rev, name, clean[name])
    if cat.sensitive and "sensitive" not in clean:
        rev.sensitive = True   # moved into a sensitive category: tightening needs nobody's override
    check_ceiling(db, user, cat, rev, "item.edit", f"item:{item.id}/r{rev.number}")
    if "table" in data:
        rev.table = data["table"]
    rev.edit_version += 1
    rev.updated_at = utcnow()
    rev.edited_by = user.id
    audit.record(db, user.username, "item.edit", f"item:{item.id}/r{rev.number}", before, snapshot(rev))
    db.commit()
    return rev


def attach_image(db: Session, user: User, item: Item, meta: dict, filename: str = "",
                 version=None) -> Attachment:
    """Attach an image already checked and stored by uploads.store_image to the draft."""
    rev = editable_draft(user, item, version)
    att = _attachment(meta, filename, len(rev.attachments))
    rev.attachments.append(att)
    rev.edit_version += 1
    rev.updated_at = utcnow()
    rev.edited_by = user.id
    audit.record(db, user.username, "item.image", f"item:{item.id}/r{rev.number}", None,
                 {"sha256": meta["sha256"], "filename": att.filename})
    db.commit()
    return att


def edit_with_uploads(db: Session, user: User, item: Item, data: dict, version, *,
                      table_csv: bytes | None = None, images=(), remove_images=()) -> Revision:
    """One form's edit: fields, a CSV table, images, images to drop; any bad part changes nothing."""
    editable_draft(user, item, version, need_version=True)
    errors = clean_item_fields(data, max_body=current_app.config["MAX_BODY_BYTES"], partial=True)[1]
    table, visuals, upload_errors = read_uploads(table_csv, images)
    errors.update(upload_errors)
    if errors:
        raise ServiceError(422, "invalid", errors)
    if table is not None:
        data = {**data, "table": table}
    rev = edit_draft(db, user, item, data, version)
    drop = {int(i) for i in remove_images if str(i).isdigit()}
    if drop & {a.id for a in rev.attachments}:
        rev.attachments = [a for a in rev.attachments if a.id not in drop]
        rev.edited_by = user.id
        audit.record(db, user.username, "item.image_remove", f"item:{item.id}/r{rev.number}",
                     None, {"removed": sorted(drop)})
        db.commit()
    for meta, filename in visuals:
        attach_image(db, user, item, meta, filename)
    return rev


def start_correction(db: Session, user: User, item: Item, reason: str) -> Revision:
    """更正: a new draft revision copied from the live one; the live one stays until it is replaced."""
    require_roles(user, item.unit, Role.CONTRIBUTOR)
    live = _branch_point(item)
    if not (reason or "").strip():
        raise ServiceError(422, "invalid", {"reason": ("reason_required", {})})
    limited(reason, "reason")
    return _next_revision(db, user, item, live, "item.correct", reason=reason.strip())


def start_update(db: Session, user: User, item: Item, body: str) -> Revision:
    """A routine update (e.g. a 践诺 progress entry): a new draft revision with a new body and no
    reason, so approving it publishes no 更正说明. The caller checks who may start it."""
    return _next_revision(db, user, item, _branch_point(item), "item.update", body=body)


def _branch_point(item: Item) -> Revision:
    """The live revision a new one may start from (409 if one is in progress or none is live)."""
    live = live_revision(item)
    if working_revision(item) is not None:
        raise ServiceError(409, "revision_in_progress")
    if live is None:
        raise ServiceError(409, "not_live")
    return live


def _next_revision(db: Session, user: User, item: Item, live: Revision, audit_action: str, *,
                   reason: str = "", body: str | None = None) -> Revision:
    rev = Revision(number=item.revisions[-1].number + 1, title=live.title,
                   body=live.body if body is None else body, table=live.table,
                   audiences=live.audiences, window_start=live.window_start,
                   window_end=live.window_end, sensitive=live.sensitive, reason=reason,
                   signage=live.signage, override=live.override, created_by=user.id)
    item.revisions.append(rev)
    db.flush()
    audit.record(db, user.username, audit_action, f"item:{item.id}/r{rev.number}", None, snapshot(rev))
    db.commit()
    return rev


def take_action(db: Session, user: User, item: Item, action: str, comment: str = "",
                now: datetime | None = None) -> Revision:
    """Run one workflow action on the item's working (or, for withdraw, live) revision."""
    now = now or utcnow()
    limited(comment or "", "comment")
    actor = actor_for(user, item.unit)
    rev = live_revision(item) if action == Action.WITHDRAW.value else working_revision(item)
    if rev is None:
        rev = item.revisions[-1]
    flow = flow_of(rev)
    try:
        if action not in {a.value for a in PERSON_ACTIONS}:  # override has its own entry (overrides.py)
            raise WorkflowError("input", "unknown_action", f"unknown action: {action!r}")
        new = lifecycle.apply(flow, action, actor, comment=comment or "", now=now,
                              window_start=rev.window_start)
    except WorkflowError as exc:
        status = {"role": 403, "state": 409, "input": 422}[exc.kind]
        field = {"comment_required": "comment", "unknown_action": "action"}.get(exc.code)
        field = field or ("action" if exc.kind == "role" else None)
        fields = {field: (exc.code, {})} if field else None
        if exc.kind == "role":
            audit.refusal(db, user.username, f"item.{action}", f"item:{item.id}/r{rev.number}",
                          {"code": exc.code, "status": rev.status})
        raise ServiceError(status, exc.code, fields) from None
    if action == Action.SUBMIT.value:  # the category may have narrowed since the draft was written
        check_ceiling(db, user, item.category, rev, "item.submit", f"item:{item.id}/r{rev.number}")
    before = snapshot(rev)
    _store_flow(rev, new)
    db.add(Decision(revision=rev, actor_id=user.id, action=action, from_status=flow.status.value,
                    to_status=new.status.value, comment=comment or "", at=now))
    if new.status in LIVE_STATUSES and flow.status not in LIVE_STATUSES:
        _on_publish(db, user, item, rev, now)
    elif new.status is Status.WITHDRAWN:
        _publish_notice(db, user, item, rev, "withdraw", comment, now)
    audit.record(db, user.username, f"item.{action}", f"item:{item.id}/r{rev.number}",
                 before, snapshot(rev))
    db.commit()
    return rev


def flow_of(rev: Revision) -> Flow:
    authors = frozenset(p for p in (rev.created_by, rev.edited_by) if p is not None)
    return Flow(status=Status(rev.status), sensitive=rev.sensitive, authors=authors,
                **{name: getattr(rev, name) for name in SIGNERS})


def _store_flow(rev: Revision, flow: Flow) -> None:
    rev.status = flow.status.value
    for name in SIGNERS:
        setattr(rev, name, getattr(flow, name))


def publish_window(db: Session, item: Item, rev: Revision, now: datetime):
    """The display window the revision gets when it goes live at `now`: its own, else the category's
    time rule from `now` (the approval page shows it before anyone approves)."""
    rule = TimeRule.from_dict(item.category.time_rule)
    return window_for(rule, local(rev.window_start or now), rev.window_end, calendar=calendar_for(db))


def _on_publish(db: Session, user: User, item: Item, rev: Revision, now: datetime) -> None:
    """Fix the window by the category's time rule, replace the old live revision, say why."""
    window = publish_window(db, item, rev, now)
    rev.window_start, rev.window_end = window.start, window.end
    rev.published_at = now
    for old in item.revisions:
        if old is not rev and Status(old.status) in LIVE_STATUSES:
            system_step(db, old, Action.SUPERSEDE, now)
            if rev.reason:  # a correction says why; a routine update (start_update) has no reason
                _publish_notice(db, user, item, rev, "correct", rev.reason, now)


def system_step(db: Session, rev: Revision, action: Action, now: datetime) -> None:
    """A step the server takes by itself (open a window, expire, supersede)."""
    flow = flow_of(rev)
    new = lifecycle.apply(flow, action, lifecycle.SYSTEM)
    rev.status = new.status.value
    db.add(Decision(revision=rev, actor_id=None, action=action.value, from_status=flow.status.value,
                    to_status=new.status.value, comment="", at=now))
    audit.record(db, "system", f"item.{action.value}", f"item:{rev.item_id}/r{rev.number}",
                 {"status": flow.status.value}, {"status": new.status.value})


def _publish_notice(db: Session, user: User, item: Item, rev: Revision, kind: str,
                    reason: str, now: datetime) -> Item:
    """撤销/更正说明: the reason itself is published to the same audiences, signed by the approver."""
    title = NOTICE_TITLES[kind].format(title=rev.title)[:200]
    body = f"{reason.strip()}\n\n（{now.astimezone().date().isoformat()}）"
    notice = Item(unit=item.unit, category=item.category, kind="notice", related_item_id=item.id,
                  created_by=user.id)
    notice.revisions.append(Revision(number=1, title=title, body=body, audiences=rev.audiences,
                                     status=Status.PUBLISHED.value, approved_by=user.id,
                                     window_start=now, published_at=now, reason=reason.strip(),
                                     created_by=user.id))
    db.add(notice)
    db.flush()
    audit.record(db, user.username, f"notice.{kind}", f"item:{notice.id}", None,
                 {"about": item.id, "reason": reason})
    return notice


def snapshot(rev: Revision) -> dict:
    """What the audit log keeps of a revision (the table only by size)."""
    return {"revision": rev.number, "status": rev.status, "title": rev.title,
            "body_chars": len(rev.body or ""), "audiences": rev.audiences,
            "window": [_iso(rev.window_start), _iso(rev.window_end)], "sensitive": rev.sensitive,
            "table_rows": len((rev.table or {}).get("rows", [])), "edit_version": rev.edit_version,
            "signage": rev.signage, "override": rev.override}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
