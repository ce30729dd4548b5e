"""Work queue, item list, item page, workflow actions and corrections."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from content.model import LIVE_STATUSES, AudiencePlan, Status
from server import db
from server.guard import isolation
from server.bureau import rectification
from server.disclosure import items, overrides
from server.disclosure.next_step import next_step
from server.disclosure.table_review import for_item_page
from server.admin import bp, set_unit, views_approve
from server.admin import forms
from server.admin.forms import field_errors
from server.i18n import t, term
from server.admin.render import localtime, table_preview
from server.models import Item
from server.validation import ServiceError

PAGE = 50


def load_item(item_id: int) -> Item:
    """The item if the user holds a role in its unit (404 otherwise); its unit becomes current."""
    item = db.session().get(Item, item_id)
    if item is None or not items.can_view(g.user, item):
        raise ServiceError(404, "not_found")
    set_unit(item.unit)
    return item


def _row(item: Item, actions: list[str] | None = None) -> dict:
    rev = item.revisions[-1]
    when = max([rev.updated_at] + [d.at for d in rev.decisions])
    return {"item": item, "rev": rev, "status": rev.status, "live": items.live_revision(item), "when": when,
            "actions": actions if actions is not None else items.allowed_for(g.user, item)}


@bp.get("/")
def queue():
    """工作台: what awaits my sign-off (reviewers, approvers), my drafts and what I submitted with who
    acts next (contributors), and what was published lately."""
    s = db.session()
    rows = [_row(i) for i in items.visible(g.user, items.unit_items(s, g.unit))]
    awaiting = [r for r in rows if items.SIGN_OFF & set(r["actions"])]
    drafts = [r for r in rows if "submit" in r["actions"]]
    for r in drafts:   # sent back: say why
        back = [d for d in r["rev"].decisions if d.action == "reject"]
        r["sent_back"] = back[-1].comment if back else None
    mine = [r for r in rows if r["rev"].status not in ("draft",) and items.working_revision(r["item"]) is not None
            and g.user.id in (r["rev"].submitted_by, r["rev"].created_by)]
    for r in mine:
        r["next"] = next_step(s, r["item"])
    recent = sorted((r for r in rows if r["live"] is not None and r["live"].published_at),
                    key=lambda r: r["live"].published_at, reverse=True)[:10]
    signs_off = bool(items.SIGN_OFF_ROLES & set(g.roles))
    return render_template("admin/queue.html", awaiting=awaiting, drafts=drafts, mine=mine, recent=recent,
                           signs_off=signs_off, circular_tasks=rectification.tasks(s, g.user, g.unit))


@bp.get("/items", endpoint="items")
def item_list():
    """全部事项, filtered by status."""
    status = request.args.get("status", "")
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows = [_row(i, []) for i in items.visible(g.user, items.unit_items(db.session(), g.unit, limit=5000))]
    if status in {s.value for s in Status}:
        rows = [r for r in rows if r["status"] == status]
    shown = rows[(page - 1) * PAGE:page * PAGE]
    return render_template("admin/items.html", rows=shown, count=len(rows), status=status, page=page,
                           pages=max(1, -(-len(rows) // PAGE)), statuses=[s.value for s in Status])


def render_item(item: Item, errors: dict | None = None, comments: dict | None = None,
                status: int = 200, audiences: list[str] | None = None):
    """The item page; `errors` and `comments` (and the override's `audiences`) refill the form of the
    action that failed."""
    revs = item.revisions
    number = request.args.get("rev", type=int)
    rev = next((r for r in revs if r.number == number), revs[-1])
    history = [(r, d) for r in revs for d in r.decisions]
    working = items.working_revision(item)
    can_correct = ("contributor" in {r.value for r in g.roles} and working is None
                   and items.live_revision(item) is not None)
    related = db.session().get(Item, item.related_item_id) if item.related_item_id else None
    sound = isolation.sound_revisions(revs, "item_page")   # a broken stored value: flagged, shown as such
    broken = [r.number for r in revs if r not in sound]
    live = items.live_revision(item)
    table_diff, table_warnings = (for_item_page(live, rev, current_app.config["TABLE_DIFF_KEYS"])
                                  if rev in sound and live in sound + [None] else (None, []))
    return render_template("admin/item.html", item=item, rev=rev, newest=revs[-1], history=history,
                           live=live, working=working, broken=broken, next=next_step(db.session(), item),
                           reach=views_approve.reach(item, live) if live is not None else None,
                           phone_url=views_approve.phone_url, confirm=views_approve.CONFIRMED,
                           actions=items.allowed_for(g.user, item),
                           table=table_preview(rev.table) if rev in sound else None,
                           can_correct=can_correct, errors=errors or {}, comments=comments or {},
                           table_diff=table_diff, table_warnings=table_warnings,
                           audiences=forms.AUDIENCES,
                           working_audiences=set(audiences) if audiences is not None else _plan_values(working),
                           related=related if related and items.can_view(g.user, related) else None
                           ), status


def _plan_values(rev) -> set[str]:
    return {a.value for a in AudiencePlan.from_list(rev.audiences).all()} if rev is not None else set()


@bp.get("/items/<int:item_id>")
def item(item_id: int):
    """One item: the revision, its table and images, history and the buttons for what I may do."""
    return render_item(load_item(item_id))


@bp.post("/items/<int:item_id>/actions")
def act(item_id: int):
    """Take one workflow action with its comment; errors come back on that action's form."""
    item = load_item(item_id)
    action = request.form.get("action", "")
    comment = request.form.get("comment", "")
    if action in views_approve.CONFIRMED and request.form.get("confirmed") != "1" \
            and action in items.allowed_for(g.user, item):
        return views_approve.confirm_page(item, action, comment)   # look first, then confirm
    try:
        rev = items.take_action(db.session(), g.user, item, action, comment)
    except ServiceError as exc:
        db.session().rollback()
        errors = field_errors(exc)
        return render_item(item, {action: " ".join(errors.values())}, {action: comment}, exc.status)
    flash(t("flash.done", action=term("action", action)))
    if Status(rev.status) in LIVE_STATUSES:
        screens = views_approve.reach(item, rev)["screens"]
        flash(t("flash.pushed", n=len(screens)) if rev.status == Status.PUBLISHED.value
              else t("flash.scheduled", n=len(screens), at=localtime(rev.window_start)))
    return redirect(url_for("admin.item", item_id=item.id))


@bp.post("/items/<int:item_id>/override")
def override(item_id: int):
    """放宽目录限制 (approver): the draft beyond its category's audiences or not sensitive, with a reason;
    audiences are sent only when changed, so 先内后外 steps survive."""
    item = load_item(item_id)
    working = items.working_revision(item)
    chosen = [a for a in forms.AUDIENCES if a in request.form.getlist("audiences")]
    reason = request.form.get("reason", "")
    data = {"reason": reason, "sensitive": bool(request.form.get("sensitive"))}
    current = AudiencePlan.from_list(working.audiences).all() if working is not None else frozenset()
    if set(chosen) != {a.value for a in current}:
        data["audiences"] = chosen
    try:
        overrides.override(db.session(), g.user, item, data)
    except ServiceError as exc:
        db.session().rollback()
        return render_item(item, {"override": " ".join(field_errors(exc).values())}, {"override": reason},
                           exc.status, audiences=chosen)
    flash(t("flash.saved"))
    return redirect(url_for("admin.item", item_id=item.id))


@bp.get("/items/<int:item_id>/confirm/<action>")
def confirm(item_id: int, action: str):
    """The approval preview opened straight from the work queue (审定通过… beside the item)."""
    item = load_item(item_id)
    if action not in views_approve.CONFIRMED or action not in items.allowed_for(g.user, item):
        flash(t("item.not_yours"))
        return redirect(url_for("admin.item", item_id=item.id))
    return views_approve.confirm_page(item, action, "")


@bp.post("/items/<int:item_id>/correction")
def correct(item_id: int):
    """更正: open a new draft revision of the published item, with the reason."""
    item = load_item(item_id)
    reason = request.form.get("reason", "")
    try:
        items.start_correction(db.session(), g.user, item, reason)
    except ServiceError as exc:
        db.session().rollback()
        errors = field_errors(exc)
        return render_item(item, {"correct": " ".join(errors.values())}, {"correct": reason},
                           exc.status)
    flash(t("flash.correction"))
    return redirect(url_for("admin.edit_item", item_id=item.id))
