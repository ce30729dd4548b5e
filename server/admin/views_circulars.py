"""督查通报 pages: 起草督查通报 from the bureau's 公开监督 page, the list of circulars, one circular with
its per-hospital table and findings, and the 整改 note and acceptance forms. Thin views over
server/bureau/; the circular's text and workflow live on its ordinary item page."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server import db
from server.admin import bp, set_unit
from server.admin.forms import field_errors
from server.bureau import circulars, rectification
from server.bureau.findings import STATES
from server.bureau.models import Circular
from server.disclosure import items
from server.i18n import t
from server.validation import ServiceError


@bp.app_template_global("circular_of")
def circular_of(item) -> Circular | None:
    """The circular an item carries, for the link on its item page."""
    return circulars.of_item(db.session(), item)


@bp.post("/compliance/circular")
def draft_circular():
    """起草督查通报: a draft item of the bureau pre-filled from its members' figures; on to its page."""
    circular = circulars.draft(db.session(), g.user, g.unit)
    flash(t("cir.drafted"))
    return redirect(url_for("admin.item", item_id=circular.item_id))


def _listed(s) -> list[Circular]:
    """The bureau's circulars for its staff; the published ones of its bureau for a member hospital."""
    if g.unit.kind == "bureau" and g.roles:
        return circulars.bureau_circulars(s, g.unit)
    if g.unit.parent is None:
        return []
    return [c for c in circulars.bureau_circulars(s, g.unit.parent) if rectification.can_read(g.user, c)]


@bp.get("/circulars")
def circular_list():
    """督查通报 of the bureau (or sent to this hospital), with their findings' states."""
    if not g.roles:
        raise ServiceError(403, "forbidden")
    s = db.session()
    rows = []
    for c in _listed(s):
        found = rectification.rows(s, g.user, c)
        if g.unit.kind != "bureau":
            found = [r for r in found if r["finding"].unit_id == g.unit.id]
        rev = items.live_revision(c.item) or c.item.revisions[-1]
        counts = {st: sum(r["state"] == st for r in found) for st in STATES}
        rows.append({"circular": c, "rev": rev, "counts": counts, "due": rectification.due_date(s, c),
                     "withdrawn": rectification.withdrawn(c)})
    may_draft = g.unit.kind == "bureau" and {"supervisor", "contributor"} <= {r.value for r in g.roles}
    return render_template("admin/circulars.html", rows=rows, states=STATES, may_draft=may_draft)


def render_circular(c: Circular, errors: dict | None = None, values: dict | None = None, status: int = 200):
    s = db.session()
    rev = items.live_revision(c.item) or c.item.revisions[-1]
    return render_template("admin/circular.html", c=c, rev=rev, table=rev.table if rev.table and rev.table.get("columns") else None,
                           rows=rectification.rows(s, g.user, c), due=rectification.due_date(s, c),
                           published=rectification.published_at(c), withdrawn=rectification.withdrawn(c),
                           in_bureau=rectification.in_bureau(g.user, c),
                           errors=errors or {}, values=values or {}), status


@bp.get("/circulars/<int:circular_id>")
def circular(circular_id: int):
    """One circular: its text and table, the findings the user may see, 整改 notes and their state."""
    c = rectification.load(db.session(), g.user, circular_id)
    return render_circular(c)


@bp.post("/circulars/findings/<int:finding_id>/note")
def circular_note(finding_id: int):
    """整改说明 on one finding (the hospital's 公开办 or admin); Chinese form errors on the page."""
    s = db.session()
    finding = rectification.load_finding(s, g.user, finding_id)
    set_unit(finding.unit)
    text = request.form.get("text", "")
    try:
        rectification.answer(s, g.user, finding, text)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        s.rollback()
        return render_circular(finding.circular, {finding.id: field_errors(exc)}, {finding.id: text}, 422)
    flash(t("cir.answered"))
    return redirect(url_for("admin.circular", circular_id=finding.circular_id) + f"#finding-{finding.id}")


@bp.post("/circulars/findings/<int:finding_id>/accept")
def circular_accept(finding_id: int):
    """The bureau's supervisor accepts a finding's 整改."""
    s = db.session()
    finding = rectification.load_finding(s, g.user, finding_id)
    set_unit(finding.circular.bureau)
    rectification.accept(s, g.user, finding)
    flash(t("cir.accepted"))
    return redirect(url_for("admin.circular", circular_id=finding.circular_id) + f"#finding-{finding.id}")
