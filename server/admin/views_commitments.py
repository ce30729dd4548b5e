"""公开承诺 pages: list per unit, create, 践诺 progress, 兑现结论, and the 台账 (CSV and printable).

Approval itself happens on the ordinary item page: every update here opens a new revision there.
Anyone with a role in the unit reads (supervisors included); the service checks who may change what.
"""
from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for

from content.model import Role
from server.auth import require_roles
from server import db
from server.commitments import ledger
from server.commitments import pledges
from server.disclosure import items
from server.admin import bp, set_unit
from server.admin.forms import field_errors
from server.i18n import msg, t, term
from server.commitments.models import Commitment
from server.validation import ServiceError

NEW = {"title": "", "pledge": "", "committer_kind": "party_branch", "committer": "", "due_date": "",
       "category": pledges.DEFAULT_CATEGORY}


def _reader() -> None:
    if not g.roles:
        raise ServiceError(403, "forbidden")


def _load(commitment_id: int) -> Commitment:
    """The commitment if the user holds a role in its unit (404 otherwise); its unit becomes current."""
    c = db.session().get(Commitment, commitment_id)
    if c is None or not pledges.can_read(g.user, c):
        raise ServiceError(404, "not_found")
    set_unit(c.unit)
    return c


def _errors(exc: ServiceError) -> dict:
    return field_errors(exc)


@bp.get("/commitments")
def commitments():
    """公开承诺 of the unit, filtered by committer, status and 逾期."""
    _reader()
    s = db.session()
    committer, status = request.args.get("committer", ""), request.args.get("status", "")
    overdue = request.args.get("overdue") == "1"
    rows = [c for c in pledges.unit_commitments(s, g.unit, committer=committer, status=status, overdue=overdue)
            if pledges.can_read(g.user, c)]
    everyone = pledges.unit_commitments(s, g.unit)
    counts = pledges.rating_counts(s, [c.id for c in rows])
    return render_template("admin/commitments.html", rows=rows, counts=counts,
                           committers=sorted({c.committer for c in everyone}), committer=committer,
                           status=status, overdue=overdue, statuses=pledges.STATUSES,
                           is_overdue=pledges.is_overdue, title_of=_title)


def _title(c: Commitment) -> str:
    return (items.live_revision(c.item) or c.item.revisions[-1]).title


@bp.route("/commitments/new", methods=["GET", "POST"])
def new_commitment():
    """新建承诺: a draft item of kind commitment, submitted through the normal workflow."""
    require_roles(g.user, g.unit, Role.CONTRIBUTOR)
    values = NEW if request.method == "GET" else {k: request.form.get(k, "") for k in NEW}
    if request.method == "GET":
        return _form(values)
    try:
        c = pledges.create(db.session(), g.user, g.unit, values)
    except ServiceError as exc:
        db.session().rollback()
        return _form(values, _errors(exc), exc.status)
    flash(t("cm.created"))
    return redirect(url_for("admin.commitment", commitment_id=c.id))


def _form(values: dict, errors: dict | None = None, status: int = 200):
    return render_template("admin/commitment_form.html", values=values, errors=errors or {},
                           kinds=pledges.COMMITTER_KINDS), status


def render_commitment(c: Commitment, errors: dict | None = None, values: dict | None = None,
                      status: int = 200):
    """One commitment: facts, updates with their approval, ratings, and the forms I may use."""
    s = db.session()
    working = items.working_revision(c.item)
    live = items.live_revision(c.item)
    open_ = c.status == "ongoing" and working is None and live is not None
    pending = pledges.pending_update(c) if c.status == "ongoing" and "contributor" in _roles() else None
    if pending is not None and values is None:
        values = {"on_date": pending.on_date.isoformat(), "text": pending.text, "milestone": pending.milestone,
                  "percent": "" if pending.percent is None else str(pending.percent)}
    return render_template("admin/commitment.html", c=c, title=_title(c), live=live, working=working,
                           ratings=pledges.rating_counts(s, [c.id])[c.id],
                           overdue=pledges.is_overdue(c), approval=pledges.approval_status,
                           progress_of=pledges.progress_of, can_update=open_ and "contributor" in _roles(),
                           can_close=open_ and bool({"reviewer", "approver"} & _roles()),
                           pending=pending, errors=errors or {},
                           values=values or {"on_date": pledges.today().isoformat()},
                           ratings_order=pledges.RATINGS, outcomes=pledges.OUTCOMES), status


def _roles() -> set[str]:
    return {r.value for r in g.roles}


@bp.get("/commitments/<int:commitment_id>")
def commitment(commitment_id: int):
    """One commitment with its 践诺 list, 评诺 counts and what I may do next."""
    return render_commitment(_load(commitment_id))


@bp.post("/commitments/<int:commitment_id>/progress")
def commitment_progress(commitment_id: int):
    """践诺: a progress update opens a new draft revision of the commitment item."""
    return _save_progress(commitment_id, pledges.add_progress, msg("cm.progress_added"))


@bp.post("/commitments/<int:commitment_id>/progress/edit")
def commitment_progress_edit(commitment_id: int):
    """Change the 践诺 update still in draft (e.g. after 退回修改); the item body follows."""
    return _save_progress(commitment_id, pledges.revise_progress, msg("flash.saved"))


def _save_progress(commitment_id: int, save, message: tuple[str, dict]):
    """The 践诺 form, added or revised by `save`; errors show on the commitment page."""
    c = _load(commitment_id)
    values = {k: request.form.get(k, "") for k in ("on_date", "text", "percent", "milestone")}
    try:
        save(db.session(), g.user, c, values)
    except ServiceError as exc:
        db.session().rollback()
        return render_commitment(c, _errors(exc), values, exc.status)
    flash(t(message[0], **message[1]))
    return redirect(url_for("admin.item", item_id=c.item_id))


@bp.post("/commitments/<int:commitment_id>/close")
def commitment_close(commitment_id: int):
    """兑现结论 (reviewer or approver): fulfilled or unfulfilled, with a note."""
    c = _load(commitment_id)
    values = {k: request.form.get(k, "") for k in ("outcome", "note")}
    try:
        pledges.close(db.session(), g.user, c, values["outcome"], values["note"])
    except ServiceError as exc:
        db.session().rollback()
        return render_commitment(c, _errors(exc), values, exc.status)
    flash(t("cm.closed", outcome=term("pledge_status", c.status)))
    return redirect(url_for("admin.commitment", commitment_id=c.id))


@bp.get("/commitments/ledger")
def commitment_ledger():
    """台账: every commitment of the unit with its updates (and approval dates) and ratings, to print."""
    _reader()
    return render_template("admin/commitment_ledger.html", entries=ledger.ledger(db.session(), g.unit),
                           approval=pledges.approval_status, progress_of=pledges.progress_of,
                           ratings_order=pledges.RATINGS, today=pledges.today())


@bp.get("/commitments/ledger.csv")
def commitment_ledger_csv():
    """台账 as CSV for Excel (UTF-8 with BOM)."""
    _reader()
    body = ledger.ledger_csv(ledger.ledger(db.session(), g.unit))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="commitments-{g.unit.code}.csv"'})
