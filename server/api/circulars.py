"""督查通报 in the staff API: list and read circulars, draft one from the bureau's summary, answer a
finding with a 整改 note, accept it. Thin over server/bureau/ with the HTML pages' rules."""
from __future__ import annotations

from flask import g, jsonify

from server import db
from server.api import answers, bp, caller_unit, json_body
from server.bureau import circulars, rectification


@bp.get("/circulars")
@answers
def list_circulars():
    """A bureau's circulars (?unit= the bureau), or the published ones sent to a member hospital."""
    s, unit = db.session(), caller_unit()
    if unit.kind == "bureau":
        rows = circulars.bureau_circulars(s, unit)
    elif unit.parent is not None:
        rows = circulars.bureau_circulars(s, unit.parent)
    else:
        rows = []
    return jsonify([rectification.to_json(s, g.user, c) for c in rows if rectification.can_read(g.user, c)])


@bp.post("/circulars")
@answers
def create_circular():
    """起草督查通报 for the bureau (a supervisor who is also a contributor there): 201 the circular."""
    data = json_body()
    unit = caller_unit(data.get("unit") if isinstance(data.get("unit"), str) else None)
    s = db.session()
    return jsonify(rectification.to_json(s, g.user, circulars.draft(s, g.user, unit))), 201


@bp.get("/circulars/<int:circular_id>")
@answers
def get_circular(circular_id: int):
    """One circular with the findings the caller may see."""
    s = db.session()
    return jsonify(rectification.to_json(s, g.user, rectification.load(s, g.user, circular_id)))


@bp.post("/findings/<int:finding_id>/notes")
@answers
def add_note(finding_id: int):
    """整改说明 on one finding {"text"} (the hospital's reviewer or admin): 201 the finding."""
    s = db.session()
    finding = rectification.load_finding(s, g.user, finding_id)
    rectification.answer(s, g.user, finding, json_body().get("text"))
    return jsonify(_finding(s, finding)), 201


@bp.post("/findings/<int:finding_id>/accept")
@answers
def accept_finding(finding_id: int):
    """The bureau's supervisor accepts a finding's 整改: 200 the finding."""
    s = db.session()
    finding = rectification.load_finding(s, g.user, finding_id)
    rectification.accept(s, g.user, finding)
    return jsonify(_finding(s, finding))


def _finding(s, finding) -> dict:
    row = next(r for r in rectification.rows(s, g.user, finding.circular) if r["finding"].id == finding.id)
    return rectification.finding_json(row)
