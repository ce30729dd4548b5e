"""公开监督: what is late or about to be, per unit and department (Category.owner).

定期 categories against their due dates, changed information against its 20/10-working-day
disclosure deadline, revisions stuck in review, feedback and requests near or past their deadlines
(server/hearing/feedback.py, server/hearing/requests.py), satisfaction flags (server/hearing/satisfaction.py).
The rules themselves are pure, in content/duedates.py; this module only gathers rows.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from content.calendar import WorkingDayCalendar
from content.duedates import disclosure_status, periodic_status, publicity_status
from content.model import Status, TimeRule, TimeRuleKind
from server.boards.postings import outdated_for_unit
from server.hearing import feedback as fbs
from server.hearing import requests as rqs
from server.hearing import satisfaction as sat
from server.hearing.models import Feedback, InfoRequest
from server.guard.isolation import problems, sound_revisions
from server.models import Category, Item, Revision, Unit, utcnow
from server.workdays import calendar_for, local

IN_REVIEW = ("submitted", "reviewed", "cleared", "approved")
UNPUBLISHED = ("draft",) + IN_REVIEW
DEFAULTS = {"COMPLIANCE_STUCK_DAYS": 3, "COMPLIANCE_SOON_DAYS": 5}
NO_DEPARTMENT = "—"


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def rule_of(cat: Category) -> TimeRule | None:
    """The category's time rule, or None when the stored JSON is not a valid rule."""
    try:
        return TimeRule.from_dict(cat.time_rule)
    except ValueError:
        return None


def unit_revisions(s: Session, unit: Unit) -> list[Revision]:
    """Every revision of the unit's items (notices left out), with item and category loaded; one
    that cannot be shown is left out and flagged (server/guard/isolation.py)."""
    return sound_revisions(s.scalars(select(Revision).join(Item).where(Item.unit_id == unit.id, Item.kind == "item")
                                     .options(selectinload(Revision.item).selectinload(Item.category),
                                              selectinload(Revision.decisions))
                                     .order_by(Revision.id)), "compliance")


def published_dates(revisions) -> dict[int, list[date]]:
    """Category id → local dates on which a revision of it went live."""
    out: dict[int, list[date]] = defaultdict(list)
    for rev in revisions:
        if rev.published_at is not None:
            out[rev.item.category_id].append(local(rev.published_at).date())
    return out


def periodic_rows(s: Session, unit: Unit, revisions, today: date, cal: WorkingDayCalendar) -> list[dict]:
    """One row per 定期 category: its current period's state (met / pending / due_soon / overdue)."""
    dates = published_dates(revisions)
    rows = []
    for cat in s.scalars(select(Category).where(Category.unit_id == unit.id).order_by(Category.position)):
        rule = rule_of(cat)
        if rule is None or rule.kind is not TimeRuleKind.PERIODIC:
            continue
        status = periodic_status(rule, dates.get(cat.id, []), today, setting("COMPLIANCE_SOON_DAYS"), cal)
        rows.append({"category": cat, "department": cat.owner or NO_DEPARTMENT, "rule": rule,
                     "status": status})
    return rows


def changed_on(rev: Revision) -> date:
    """When the change entered the system: the revision's creation (the 变更 the clock runs from)."""
    return local(rev.created_at).date()


def disclosure_rows(revisions, today: date, cal: WorkingDayCalendar) -> list[dict]:
    """Unpublished revisions whose 变更公开 deadline (category disclosure_days) is near or past."""
    rows = []
    for rev in revisions:
        if rev.status not in UNPUBLISHED:
            continue
        cat = rev.item.category
        status = disclosure_status(changed_on(rev), None, today, cat.disclosure_days or 20,
                                   setting("COMPLIANCE_SOON_DAYS"), cal)
        if status.state in ("due_soon", "overdue"):
            rows.append({"revision": rev, "item": rev.item, "category": cat,
                         "department": cat.owner or NO_DEPARTMENT, "status": status})
    return rows


def entered_state_at(rev: Revision) -> datetime:
    """When the revision reached its current state: its last decision, else its last update."""
    return rev.decisions[-1].at if rev.decisions else rev.updated_at


def stuck_rows(revisions, today: date, cal: WorkingDayCalendar) -> list[dict]:
    """Revisions waiting in 提出/审议/保密审查/审定 for more than COMPLIANCE_STUCK_DAYS working days."""
    limit, rows = setting("COMPLIANCE_STUCK_DAYS"), []
    for rev in revisions:
        if rev.status not in IN_REVIEW:
            continue
        since = local(entered_state_at(rev)).date()
        waited = cal.working_days_between(since, today)
        if waited > limit:
            cat = rev.item.category
            rows.append({"revision": rev, "item": rev.item, "category": cat, "since": since,
                         "waited": waited, "department": cat.owner or NO_DEPARTMENT})
    return sorted(rows, key=lambda r: -r["waited"])


def publicity_rows(revisions, now: datetime, cal: WorkingDayCalendar) -> list[dict]:
    """即时 公示 items on screens now, with the window end and working days left."""
    rows = []
    for rev in revisions:
        rule = rule_of(rev.item.category)
        if rev.status != Status.PUBLISHED.value or rule is None or rev.window_start is None:
            continue
        found = publicity_status(rule, local(rev.window_start), now, cal)
        if found is None:
            continue
        end = rev.window_end or found[0]
        if end > now:
            rows.append({"revision": rev, "item": rev.item, "category": rev.item.category,
                         "end": local(end), "left": found[1]})
    return rows


def feedback_rows(s: Session, unit: Unit, today: date, cal: WorkingDayCalendar) -> list[dict]:
    """Open feedback that is overdue or due soon (the badge of server/hearing/feedback.py)."""
    rows = []
    for fb in s.scalars(select(Feedback).where(Feedback.unit_id == unit.id, Feedback.status.in_(fbs.OPEN))
                        .order_by(Feedback.due_date, Feedback.id)):
        badge = fbs.badge(s, fb, on=today, cal=cal)
        if badge:
            rows.append({"feedback": fb, "badge": badge, "department": fb.department or NO_DEPARTMENT})
    return rows


def request_rows(s: Session, unit: Unit, today: date, cal: WorkingDayCalendar) -> list[dict]:
    """Open 依申请公开 requests that are due soon, delayed or long overdue."""
    rows = []
    for req in s.scalars(select(InfoRequest).where(InfoRequest.unit_id == unit.id,
                                                   InfoRequest.status.in_(rqs.OPEN))
                         .order_by(InfoRequest.due_date, InfoRequest.id)):
        alert = rqs.alert(s, req, on=today, cal=cal)
        if alert:
            rows.append({"request": req, "alert": alert})
    return rows


def by_department(board: dict) -> list[dict]:
    """Counts per department: 定期 overdue / due soon, 变更 overdue / due soon, stuck, feedback overdue."""
    table: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for row in board["periodic"]:
        if row["status"].state in ("overdue", "due_soon"):
            table[row["department"]]["periodic_" + row["status"].state] += 1
    for row in board["disclosure"]:
        table[row["department"]]["change_" + row["status"].state] += 1
    for row in board["stuck"]:
        table[row["department"]]["stuck"] += 1
    for row in board["feedback"]:
        table[row["department"]]["feedback_" + row["badge"]] += 1
    return [{"department": name, **counts} for name, counts in sorted(table.items())]


def dashboard(s: Session, unit: Unit, today: date | None = None, now: datetime | None = None) -> dict:
    """Everything the 公开监督 page shows for one unit (as of `today`, default the local today)."""
    now = now or utcnow()
    today = today or local(now).date()
    cal = calendar_for(s)
    revisions = unit_revisions(s, unit)
    month = today.strftime("%Y-%m")
    board = {"unit": unit, "today": today, "month": month,
             "periodic": periodic_rows(s, unit, revisions, today, cal),
             "disclosure": disclosure_rows(revisions, today, cal),
             "stuck": stuck_rows(revisions, today, cal),
             "publicity": publicity_rows(revisions, now, cal),
             "feedback": feedback_rows(s, unit, today, cal),
             "requests": request_rows(s, unit, today, cal),
             "satisfaction": sat.satisfaction(s, unit, month),
             "stuck_days": setting("COMPLIANCE_STUCK_DAYS"), "soon_days": setting("COMPLIANCE_SOON_DAYS"),
             "warnings": cal.warnings(), "problems": problems(s, unit.id),
             "outdated_boards": outdated_for_unit(s, unit)}
    board["departments"] = by_department(board)
    board["totals"] = totals(board)
    return board


def totals(board: dict) -> dict:
    """The headline numbers of a board (also used for a bureau's member overview)."""
    return {"periodic_overdue": sum(r["status"].state == "overdue" for r in board["periodic"]),
            "due_soon": sum(r["status"].state == "due_soon" for r in board["periodic"])
            + sum(r["status"].state == "due_soon" for r in board["disclosure"]),
            "change_overdue": sum(r["status"].state == "overdue" for r in board["disclosure"]),
            "stuck": len(board["stuck"]),
            "feedback_overdue": sum(r["badge"] == "overdue" for r in board["feedback"]),
            "requests_late": sum(r["alert"] in ("delayed", "long_overdue") for r in board["requests"]),
            "flags": sum(r["flag"] for r in board["satisfaction"]["rows"]),
            "outdated_boards": len(board["outdated_boards"])}


def members(s: Session, bureau: Unit, today: date | None = None) -> list[dict]:
    """A bureau's member units with their headline numbers, for bureau-level supervisors."""
    units = s.scalars(select(Unit).where(Unit.parent_id == bureau.id).order_by(Unit.code)).all()
    return [{"unit": u, "totals": dashboard(s, u, today)["totals"]} for u in units]


# --- monthly aggregates for the charts ------------------------------------------------------------

def months_back(last: str, count: int) -> list[str]:
    """["2025-12", ..., "2026-11"]: `count` months ending with `last` ("YYYY-MM")."""
    year, month = (int(x) for x in last.split("-"))
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def root_names(s: Session, unit: Unit) -> dict[int, str]:
    """Category id → name of its top-level group (院务公开·对外, 院务公开·对内, 党务公开)."""
    cats = s.scalars(select(Category).where(Category.unit_id == unit.id)).all()
    by_key = {c.key: c for c in cats}

    def root(cat: Category) -> Category:
        seen = set()
        while cat.parent_key in by_key and cat.key not in seen:
            seen.add(cat.key)
            cat = by_key[cat.parent_key]
        return cat
    return {c.id: root(c).name for c in cats}


def on_time(rev: Revision, cal: WorkingDayCalendar) -> bool:
    """Published within its category's disclosure days of the change."""
    status = disclosure_status(changed_on(rev), local(rev.published_at).date(), local(rev.published_at).date(),
                               rev.item.category.disclosure_days or 20, calendar=cal)
    return status.state == "met"


def monthly_series(s: Session, unit: Unit, last: str, count: int = 12) -> dict:
    """Per month: revisions published per top-level group, on-time rate, feedback received,
    satisfaction (满意率 of the unit)."""
    months = months_back(last, count)
    cal, roots = calendar_for(s), root_names(s, unit)
    published: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(months, 0))
    timely = {m: [0, 0] for m in months}
    for rev in unit_revisions(s, unit):
        if rev.published_at is None:
            continue
        month = local(rev.published_at).strftime("%Y-%m")
        if month in timely:
            published[roots.get(rev.item.category_id, NO_DEPARTMENT)][month] += 1
            timely[month][0] += on_time(rev, cal)
            timely[month][1] += 1
    start, _ = sat.month_bounds(months[0])
    _, end = sat.month_bounds(months[-1])
    received = dict.fromkeys(months, 0)
    for at in s.scalars(select(Feedback.received_at).where(Feedback.unit_id == unit.id,
                                                           Feedback.received_at >= start,
                                                           Feedback.received_at < end)):
        received[local(at).strftime("%Y-%m")] += 1
    satisfaction = []
    for month in months:
        unit_row = next((r for r in sat.satisfaction(s, unit, month)["rows"] if r["kind"] == "unit"), None)
        satisfaction.append(unit_row and unit_row["pct"])
    return {"months": months,
            "published": {name: [per[m] for m in months] for name, per in sorted(published.items())},
            "on_time_pct": [sat.pct(*timely[m]) for m in months],
            "feedback": [received[m] for m in months], "satisfaction": satisfaction}
