"""信息报送 in the staff UI: the hospital sends its finished month's report from the report page; the
bureau's supervisors see months × members and open each report as it was sent (HTML and PDF).
Thin views over server/oversight/submissions.py."""
from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for

from server import db
from server.admin import bp
from server.hearing.feedback import today
from server.i18n import local_name, t
from server.oversight import monthly_report, submissions
from server.oversight.snapshot import thaw
from server.workdays import calendar_for, local


@bp.post("/compliance/report/submit")
def compliance_submit():
    """报送: freeze the month's report and send it to the bureau; back to the report page."""
    month = request.form.get("month", "")
    row = submissions.submit(db.session(), g.user, g.unit, month, today())
    flash(t("sub.done", month=row.month, bureau=local_name(row.bureau)))
    return redirect(url_for("admin.compliance_report", month=row.month))


def _months() -> int:
    try:
        return int(request.args.get("months", submissions.OVERVIEW_MONTHS))
    except ValueError:
        return submissions.OVERVIEW_MONTHS


@bp.get("/compliance/submissions")
def compliance_submissions():
    """The bureau's overview: per month and member hospital, sent (on time or late), overdue, open."""
    board = submissions.overview(db.session(), g.user, g.unit, today(), _months())
    return render_template("admin/submissions.html", board=board, due_workdays=submissions.due_workdays(),
                           month_choices=submissions.MONTH_CHOICES, who=submissions.who)


def _sent_at(row) -> str:
    return f"{local(row.submitted_at):%Y-%m-%d %H:%M}"


@bp.get("/compliance/submissions/<int:submission_id>")
def compliance_submission(submission_id: int):
    """One report as it was sent (rendered from its snapshot), with the month's sending history."""
    s = db.session()
    row = submissions.load(s, g.user, submission_id)
    report = thaw(row.snapshot)
    rows = submissions.history(s, row.unit, row.month)
    cell = submissions.state_of(rows, row.month, today(), calendar_for(s))
    return render_template("admin/submission.html", report=report, row=row, rows=rows, cell=cell,
                           sent_at=_sent_at, who=submissions.who,
                           bureau_reader=submissions.reads_for_bureau(g.user, row),
                           by_department=monthly_report.month_lines(report))


@bp.get("/compliance/submissions/<int:submission_id>.pdf")
def compliance_submission_pdf(submission_id: int):
    """The sent report as a PDF, with who sent it when."""
    row = submissions.load(db.session(), g.user, submission_id)
    note = t("sub.pdf_note", at=_sent_at(row), who=submissions.who(row), bureau=local_name(row.bureau))
    name = f"gongkai-report-{row.unit.code}-{row.month}-{row.id}.pdf"
    return Response(monthly_report.render_pdf(thaw(row.snapshot), note=note), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
