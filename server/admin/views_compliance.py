"""公开监督 (supervisor, reviewer): the compliance dashboard with SVG charts, and the printable monthly
report as HTML and PDF. Thin views over server/oversight/compliance.py and server/oversight/monthly_report.py."""
from __future__ import annotations

from datetime import date

from flask import Response, g, render_template, request

from content.model import Role
from server.auth import require_roles
from server import db
from server.oversight import compliance
from server.oversight import monthly_report
from server.oversight import submissions
from server.admin import bp
from server.hearing.feedback import today
from server.i18n import t
from server.oversight.svgcharts import bar_chart, line_chart

OVERSIGHT = frozenset({Role.SUPERVISOR, Role.REVIEWER})


def _require_oversight() -> None:
    """Only the unit's supervisors (incl. a bureau's, carried down) and reviewers."""
    require_roles(g.user, g.unit, *OVERSIGHT)


def _month_label(month: str) -> str:
    year, mon = month.split("-")
    return t("cmp.month_label", month=date(int(year), int(mon), 1))


def charts(series: dict) -> list:
    """The four charts of the dashboard, as inline SVG."""
    labels = [_month_label(m) for m in series["months"]]
    span = f"{series['months'][0]} — {series['months'][-1]}"
    return [
        bar_chart(t("cmp.chart.published", span=span), labels, series["published"] or {t("cmp.items"): [0] * len(labels)},
                  t("cmp.axis.items")),
        line_chart(t("cmp.chart.on_time", span=span), labels, {t("cmp.on_time_rate"): series["on_time_pct"]},
                   t("cmp.axis.pct"), unit="%", top=100),
        bar_chart(t("cmp.chart.feedback", span=span), labels, {t("cmp.feedback_n"): series["feedback"]},
                  t("cmp.axis.count")),
        line_chart(t("cmp.chart.satisfaction", span=span), labels, {t("cmp.satisfaction"): series["satisfaction"]},
                   t("cmp.axis.pct"), unit="%", top=100, reference=80, reference_label=t("cmp.flag_line")),
    ]


@bp.get("/compliance")
def compliance_dashboard():
    """公开监督: overdue and due-soon obligations per department, stuck reviews, deadlines, charts."""
    _require_oversight()
    s = db.session()
    board = compliance.dashboard(s, g.unit)
    members = compliance.members(s, g.unit, board["today"]) \
        if g.unit.kind == "bureau" and Role.SUPERVISOR in g.roles else []
    last_month = compliance.months_back(board["month"], 2)[0]
    sending = submissions.unit_state(s, g.user, g.unit, last_month, board["today"]) \
        if submissions.bureau_of(g.unit) else None
    return render_template("admin/compliance.html", board=board, members=members, sending=sending,
                           charts=charts(compliance.monthly_series(s, g.unit, board["month"])),
                           last_month=last_month)


def _report():
    """The report for ?month= (default: this month to date), or a readable 400 page for a bad month."""
    _require_oversight()
    month = request.args.get("month") or today().strftime("%Y-%m")
    try:
        return monthly_report.build(db.session(), g.unit, month, today()), None
    except monthly_report.MonthError as exc:
        page = render_template("error.html", status=400, error=t(exc.key, **exc.params), fields={})
        return None, (page, 400)


@bp.get("/compliance/report")
def compliance_report():
    """月度报告 (HTML, printable): disclosed, late, feedback and requests handled, satisfaction."""
    report, error = _report()
    if error:
        return error
    sending = submissions.unit_state(db.session(), g.user, g.unit, report["month"], today())
    return render_template("admin/compliance_report.html", report=report, sending=sending,
                           by_department=monthly_report.month_lines(report))


@bp.get("/compliance/report.pdf")
def compliance_report_pdf():
    """月度报告 as a PDF to print and file."""
    report, error = _report()
    if error:
        return error
    name = f"gongkai-report-{g.unit.code}-{report['month']}.pdf"
    return Response(monthly_report.render_pdf(report), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
