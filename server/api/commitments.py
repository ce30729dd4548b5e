"""公开承诺 in the staff API: list, read, create, add 践诺 progress, close with a 兑现结论, 台账 CSV."""
from __future__ import annotations

from flask import Response, g, jsonify, request

from server import db

from server.commitments import ledger

from server.commitments import pledges
from server.api import answers, bp, caller_unit, json_body
from server.commitments.models import Commitment
from server.validation import ServiceError


def load(commitment_id: int) -> Commitment:
    """The commitment if the caller holds a role in its unit; 404 otherwise (no existence leak)."""
    c = db.session().get(Commitment, commitment_id)
    if c is None or not pledges.can_read(g.user, c):
        raise ServiceError(404, "not_found")
    return c


@bp.get("/commitments")
@answers
def list_commitments():
    """The unit's commitments; ?committer=, ?status=ongoing|fulfilled|unfulfilled, ?overdue=1."""
    unit = caller_unit()
    status = request.args.get("status", "")
    if status and status not in pledges.STATUSES:
        raise ServiceError(422, "invalid", {"status": ("invalid", {})})
    rows = [c for c in pledges.unit_commitments(db.session(), unit, committer=request.args.get("committer", "").strip(),
                                                status=status, overdue=request.args.get("overdue") in ("1", "true"))
            if pledges.can_read(g.user, c)]
    counts = pledges.rating_counts(db.session(), [c.id for c in rows])
    return jsonify([pledges.to_json(db.session(), c, counts[c.id]) for c in rows])


@bp.get("/commitments/<int:commitment_id>")
@answers
def get_commitment(commitment_id: int):
    """One commitment with its updates (and their approval) and rating counts."""
    return jsonify(pledges.to_json(db.session(), load(commitment_id)))


@bp.post("/commitments")
@answers
def create_commitment():
    """Create a commitment: a draft item of kind "commitment" (contributors)."""
    data = json_body()
    c = pledges.create(db.session(), g.user, caller_unit(data.get("unit")), data)
    return jsonify(pledges.to_json(db.session(), c)), 201


@bp.post("/commitments/<int:commitment_id>/progress")
@answers
def add_progress(commitment_id: int):
    """践诺: a progress update as a new draft revision of the commitment item (contributors)."""
    c = load(commitment_id)
    pledges.add_progress(db.session(), g.user, c, json_body())
    return jsonify(pledges.to_json(db.session(), c)), 201


@bp.patch("/commitments/<int:commitment_id>/progress")
@answers
def revise_progress(commitment_id: int):
    """Change the 践诺 update whose revision is still a draft (e.g. sent back by a reviewer)."""
    c = load(commitment_id)
    pledges.revise_progress(db.session(), g.user, c, json_body())
    return jsonify(pledges.to_json(db.session(), c))


@bp.post("/commitments/<int:commitment_id>/close")
@answers
def close_commitment(commitment_id: int):
    """兑现结论 fulfilled / unfulfilled with a note (reviewers and approvers)."""
    c = load(commitment_id)
    data = json_body()
    pledges.close(db.session(), g.user, c, data.get("outcome"), data.get("note"))
    return jsonify(pledges.to_json(db.session(), c))


@bp.get("/commitments/ledger.csv")
@answers
def ledger_csv():
    """台账 of the unit as CSV (UTF-8 with BOM)."""
    unit = caller_unit()
    body = ledger.ledger_csv(ledger.ledger(db.session(), unit))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="commitments-{unit.code}.csv"'})
