"""信息报送: a hospital sends its finished month's 公开监督月报 to its bureau; the bureau sees who sent,
who is late, and reads each report as it was sent.

Rules (docs/architecture.md, 信息报送):
- Only a finished month can be sent (the month's last day is before today).
- The hospital's own reviewers and supervisors send (roles granted in the hospital itself: a bureau
  supervisor whose role carries down may read the hospital's report but does not send it to itself).
- It goes to the hospital's bureau (its parent unit of kind "bureau"); a hospital without one cannot send.
- Due by the REPORT_DUE_WORKDAYS-th working day of the next month (server/workdays.py calendar);
  on time or late is judged by the first sending; resending keeps every earlier row (history).
- The bureau's supervisors read the submissions of their members; the hospital's own reviewers and
  supervisors read theirs; anyone else gets 404 (no existence leak).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.calendar import WorkingDayCalendar
from content.model import Role
from server import audit
from server.auth import require_roles, roles_in
from server.models import Unit, User, utcnow
from server.oversight import monthly_report
from server.oversight.compliance import months_back
from server.oversight.models import ReportSubmission
from server.oversight.snapshot import freeze, plain
from server.validation import ServiceError
from server.workdays import calendar_for, local

# The states of one hospital's report for one month, declared once (strings: sub.st.<state>).
STATES = ("on_time", "late", "overdue", "open", "not_due", "before")
SUBMITTERS = frozenset({Role.SUPERVISOR, Role.REVIEWER})   # the same roles as the report page
READERS = frozenset({Role.SUPERVISOR})                     # in the bureau
DEFAULT_DUE_WORKDAYS = 5
OVERVIEW_MONTHS, MAX_OVERVIEW_MONTHS = 3, 24
MONTH_CHOICES = (3, 6, 12, 24)   # the overview page's selector
LAST_MONTH = date(9998, 12, 1)   # the last month a state is computed for


def first_month() -> str:
    """REPORT_FIRST_MONTH: months before it were never owed ("" — every month is)."""
    return str(current_app.config.get("REPORT_FIRST_MONTH") or "")


def due_workdays() -> int:
    return int(current_app.config.get("REPORT_DUE_WORKDAYS", DEFAULT_DUE_WORKDAYS))


def last_day(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_first(month: str) -> date:
    year, mon = (int(x) for x in month.split("-"))
    return date(year, mon, 1)


def due_date(month: str, cal: WorkingDayCalendar) -> date:
    """The REPORT_DUE_WORKDAYS-th working day after the month's last day."""
    return cal.add_working_days(last_day(month_first(month)), due_workdays())


def any_month(month: str | None, today: date) -> str:
    """`month` normalised to "YYYY-MM"; 422 on `month` for anything else."""
    try:
        first, _ = monthly_report.parse_month(month, LAST_MONTH)
    except monthly_report.MonthError:   # a bad shape, or beyond LAST_MONTH (its due date would leave the calendar)
        shown = (month or "")[:20]
        raise ServiceError(422, "invalid", {"month": ("cmp.bad_month", {"shown": shown, "example": f"{today:%Y-%m}"})}) from None
    return f"{first:%Y-%m}"


def finished_month(month: str | None, today: date) -> str:
    """`month` normalised to "YYYY-MM" if it has ended; 422 on `month` for a bad string, 409 for the
    current or a future month (its report can still change)."""
    first = month_first(any_month(month, today))
    last = last_day(first)
    if last >= today:
        raise ServiceError(409, "sub.month_open", month=f"{first:%Y-%m}", opens=(last + timedelta(days=1)).isoformat())
    return f"{first:%Y-%m}"


def bureau_of(unit: Unit) -> Unit | None:
    parent = unit.parent
    return parent if parent is not None and parent.kind == "bureau" else None


def sends_here(user: User, unit: Unit) -> bool:
    """Holds a sending role granted in this unit itself (not one carried down from the bureau)."""
    return any(grant.unit_id == unit.id and Role(grant.role) in SUBMITTERS for grant in user.grants)


def check_sender(user: User, unit: Unit) -> None:
    require_roles(user, unit, *SUBMITTERS)
    if not sends_here(user, unit):
        raise ServiceError(403, "sub.own_staff")


def submit(s: Session, user: User, unit: Unit, month: str | None, today: date,
           at: datetime | None = None) -> ReportSubmission:
    """Freeze the month's report and send it to the bureau (a new row each time; history kept)."""
    check_sender(user, unit)
    month = finished_month(month, today)
    bureau = bureau_of(unit)
    if bureau is None:
        raise ServiceError(409, "sub.no_bureau")
    report = monthly_report.build(s, unit, month, today)
    row = ReportSubmission(unit_id=unit.id, bureau_id=bureau.id, month=month, snapshot=freeze(report),
                           submitted_by=user.id, submitted_at=at or utcnow())
    s.add(row)
    s.flush()
    audit.record(s, user.username, "report.submit", f"unit:{unit.code}/report:{month}", None,
                 {"submission": row.id, "bureau": bureau.code})
    s.commit()
    return row


def history(s: Session, unit: Unit, month: str) -> list[ReportSubmission]:
    return list(s.scalars(select(ReportSubmission).where(ReportSubmission.unit_id == unit.id,
                                                         ReportSubmission.month == month)
                          .order_by(ReportSubmission.id)))


def state_of(rows: list[ReportSubmission], month: str, today: date, cal: WorkingDayCalendar) -> dict:
    """One hospital × one month: on_time / late (first sending against the due date), overdue (not
    sent, due date past), open (not sent, still due), not_due (the month has not ended), before (not
    sent, and before REPORT_FIRST_MONTH: not owed)."""
    due = due_date(month, cal)
    if rows:
        state = "on_time" if local(rows[0].submitted_at).date() <= due else "late"
    elif month < first_month():
        state = "before"
    elif last_day(month_first(month)) >= today:
        state = "not_due"
    else:
        state = "overdue" if today > due else "open"
    return {"month": month, "state": state, "due": due, "latest": rows[-1] if rows else None,
            "first": rows[0] if rows else None, "count": len(rows)}


def unit_state(s: Session, user: User, unit: Unit, month: str, today: date) -> dict:
    """What the hospital's report page shows about sending this month."""
    cell = state_of(history(s, unit, month), month, today, calendar_for(s))
    cell["bureau"] = bureau_of(unit)
    cell["may_send"] = cell["bureau"] is not None and cell["state"] != "not_due" and sends_here(user, unit)
    return cell


def late_for_unit(s: Session, unit: Unit, today: date, count: int = OVERVIEW_MONTHS) -> list[dict]:
    """The unit's finished months among the last `count` whose report is overdue or was sent late: one
    dict per month (month, state, due date, first sent at or None), for a bureau's findings."""
    cal, rows = calendar_for(s), []
    for month in months_back(f"{today:%Y-%m}", max(1, min(count, MAX_OVERVIEW_MONTHS))):
        cell = state_of(history(s, unit, month), month, today, cal)
        if cell["state"] in ("overdue", "late"):
            rows.append({"month": month, "state": cell["state"], "due": cell["due"],
                         "sent_at": cell["first"].submitted_at if cell["first"] else None})
    return rows


def check_bureau(user: User, unit: Unit) -> None:
    """The overview is a bureau's, for its supervisors."""
    if unit.kind != "bureau":
        raise ServiceError(409, "sub.not_bureau")
    require_roles(user, unit, *READERS)


def overview(s: Session, user: User, bureau: Unit, today: date, count: int = OVERVIEW_MONTHS) -> dict:
    """Months (newest first, the current one included) × member hospitals, with counts per state."""
    check_bureau(user, bureau)
    months = months_back(f"{today:%Y-%m}", max(1, min(count, MAX_OVERVIEW_MONTHS)))[::-1]
    members = s.scalars(select(Unit).where(Unit.parent_id == bureau.id).order_by(Unit.code)).all()
    sent: dict[tuple[int, str], list] = defaultdict(list)
    for row in s.scalars(select(ReportSubmission).where(ReportSubmission.bureau_id == bureau.id,
                                                        ReportSubmission.month.in_(months))
                         .order_by(ReportSubmission.id)):
        sent[(row.unit_id, row.month)].append(row)
    cal = calendar_for(s)
    units = [{"unit": u, "cells": [state_of(sent[(u.id, m)], m, today, cal) for m in months]} for u in members]
    counts = dict.fromkeys(STATES, 0)
    for line in units:
        for cell in line["cells"]:
            counts[cell["state"]] += 1
    return {"bureau": bureau, "today": today, "months": months, "units": units, "counts": counts}


def reads_for_bureau(user: User, row: ReportSubmission) -> bool:
    return bool(roles_in(user, row.bureau) & READERS)


def readable(user: User, row: ReportSubmission) -> bool:
    return reads_for_bureau(user, row) or bool(roles_in(user, row.unit) & SUBMITTERS)


def load(s: Session, user: User, submission_id: int) -> ReportSubmission:
    """The submission if the caller may read it; 404 otherwise (also for ids that do not exist)."""
    row = s.get(ReportSubmission, submission_id)
    if row is None or not readable(user, row):
        raise ServiceError(404, "not_found")
    return row


def who(row: ReportSubmission) -> str:
    person = row.submitter
    return (person.display_name or person.username) if person else "—"


def row_json(row: ReportSubmission) -> dict:
    return {"id": row.id, "unit": row.unit.code, "bureau": row.bureau.code, "month": row.month,
            "submitted_at": row.submitted_at.isoformat(), "submitted_by": who(row)}


def cell_json(cell: dict) -> dict:
    return {"month": cell["month"], "state": cell["state"], "due": cell["due"].isoformat(),
            "count": cell["count"],
            "first": row_json(cell["first"]) if cell["first"] else None,
            "latest": row_json(cell["latest"]) if cell["latest"] else None}


def submission_json(s: Session, row: ReportSubmission, today: date) -> dict:
    """One submission with its month's state, the earlier sendings, and the report as it was sent."""
    rows = history(s, row.unit, row.month)
    return {**row_json(row), "state": cell_json(state_of(rows, row.month, today, calendar_for(s))),
            "history": [row_json(r) for r in rows], "report": plain(row.snapshot)}


def overview_json(board: dict) -> dict:
    return {"bureau": board["bureau"].code, "today": board["today"].isoformat(), "months": board["months"],
            "counts": board["counts"],
            "units": [{"unit": line["unit"].code, "name": line["unit"].name,
                       "cells": [cell_json(c) for c in line["cells"]]} for line in board["units"]]}
