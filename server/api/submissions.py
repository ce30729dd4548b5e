"""信息报送 in the staff API: a hospital sends a finished month's report to its bureau; the bureau's
supervisors read the overview and each report as sent. Rules: server/oversight/submissions.py."""
from __future__ import annotations

from flask import g, jsonify, request

from server import db
from server.api import bp, caller_unit
from server.hearing.feedback import today
from server.auth import require_roles
from server.oversight import submissions
from server.validation import ServiceError
from server.workdays import calendar_for


@bp.post("/reports/<month>/submission")
def submit_report(month: str):
    """Freeze the unit's (?unit=) report for `month` and send it to its bureau."""
    s = db.session()
    row = submissions.submit(s, g.user, caller_unit(), month, today())
    return jsonify(submissions.submission_json(s, row, today())), 201


@bp.get("/reports/<month>/submission")
def report_submission(month: str):
    """The unit's sending state for `month`: on time, late, overdue, open or not due, and the latest sending."""
    s, unit = db.session(), caller_unit()
    require_roles(g.user, unit, *submissions.SUBMITTERS)
    key = submissions.any_month(month, today())
    cell = submissions.state_of(submissions.history(s, unit, key), key, today(), calendar_for(s))
    bureau = submissions.bureau_of(unit)
    return jsonify({"unit": unit.code, "bureau": bureau.code if bureau else None, **submissions.cell_json(cell)})


@bp.get("/submissions")
def submissions_overview():
    """The bureau's (?unit=) months × member hospitals; ?months= how many months back (1–24, default 3)."""
    months = request.args.get("months", str(submissions.OVERVIEW_MONTHS))
    if not months.isdigit() or not 1 <= int(months) <= submissions.MAX_OVERVIEW_MONTHS:
        raise ServiceError(422, "invalid", {"months": ("invalid", {})})
    board = submissions.overview(db.session(), g.user, caller_unit(), today(), int(months))
    return jsonify(submissions.overview_json(board))


@bp.get("/submissions/<int:submission_id>")
def get_submission(submission_id: int):
    """One submitted report as it was sent, with the month's history."""
    s = db.session()
    return jsonify(submissions.submission_json(s, submissions.load(s, g.user, submission_id), today()))
