"""时限监督: due dates for oversight, built on content/timerules.py.

- 定期 periodic categories: the current period's due date and whether it is met, due soon or overdue.
  A due date that falls on a rest day moves to the next 工作日 (期间届满日为法定休假日的，顺延至
  休假日后的第一个工作日), so "by the 10th" never ends on a holiday; a 调休 Saturday stays.
- 即时 公示 items: the window end in working days (timerules.publicity_end).
- 变更信息: information that changed must be disclosed within N working days of the change
  (医疗卫生机构信息公开管理办法: 20, or 10 for licences and staff identification; per category).

Pure functions over dates; the working-day calendar is passed in (default: the shared one).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from content.calendar import WorkingDayCalendar, as_date, default_calendar
from content.model import TimeRule, TimeRuleKind
from content.timerules import (due_date_in_period, next_period_start, period_start,
                               publicity_end, working_days_left)

DEFAULT_DISCLOSURE_DAYS = 20
DEFAULT_SOON_DAYS = 5
STATES = ("met", "pending", "due_soon", "overdue")


@dataclass(frozen=True)
class DueStatus:
    """Where one obligation stands on `today`.

    state: met (done for this period / published), pending (not due yet), due_soon (within the
    warning span of working days), overdue (逾期). `due` is the date that state refers to;
    `next_due` is the following obligation once met. `late_days` counts working days past due.
    """

    state: str
    due: date
    next_due: date | None = None
    last_published: date | None = None
    working_days_left: int = 0
    late_days: int = 0


def _cal(calendar: WorkingDayCalendar | None) -> WorkingDayCalendar:
    return default_calendar() if calendar is None else calendar


def roll_forward(d: date, calendar: WorkingDayCalendar | None = None) -> date:
    """The date itself if it is a 工作日, else the first working day after it."""
    cal, d = _cal(calendar), as_date(d)
    return d if cal.is_working_day(d) else cal.add_working_days(d, 1)


def effective_due(rule: TimeRule, d: date, calendar: WorkingDayCalendar | None = None) -> date:
    """Due date of the period containing d, moved off rest days (Spring Festival, National Day...)."""
    return roll_forward(due_date_in_period(rule, as_date(d)), calendar)


def _dates(published) -> list[date]:
    return sorted(as_date(p, "published") for p in published)


def _warn(today: date, due: date, soon: int, cal: WorkingDayCalendar) -> tuple[str, int]:
    """pending / due_soon / overdue for an unmet obligation with its due date."""
    if today > due:
        return "overdue", 0
    left = cal.working_days_between(today, due)
    return ("due_soon" if left <= soon else "pending"), left


def periodic_status(rule: TimeRule, published, today: date, soon: int = DEFAULT_SOON_DAYS,
                    calendar: WorkingDayCalendar | None = None) -> DueStatus:
    """定期: is this period's publication done? `published` are the local dates of publications.

    A publication on or after the period's first day (and not after today) meets the period, as in
    timerules.is_overdue; then `next_due` is the next period's effective due date.
    """
    if not isinstance(rule, TimeRule) or rule.kind is not TimeRuleKind.PERIODIC:
        raise ValueError("not a periodic rule")
    cal, today = _cal(calendar), as_date(today, "today")
    dates = [d for d in _dates(published) if d <= today]
    last = dates[-1] if dates else None
    due = effective_due(rule, today, cal)
    if last is not None and last >= period_start(rule.period, today):
        nxt = effective_due(rule, next_period_start(rule.period, today), cal)
        return DueStatus("met", due, nxt, last, cal.working_days_between(today, nxt))
    state, left = _warn(today, due, soon, cal)
    late = cal.working_days_between(due, today) if state == "overdue" else 0
    return DueStatus(state, due, None, last, left, late)


def period_outcome(rule: TimeRule, published, period_day: date, today: date,
                   calendar: WorkingDayCalendar | None = None) -> tuple[str, date, date | None]:
    """For reports: the period containing period_day was on_time, late, missed or still open.

    Returns (outcome, effective due date, first publication in the period or None).
    """
    cal = _cal(calendar)
    start = period_start(rule.period, period_day)
    end = next_period_start(rule.period, period_day)
    today = as_date(today, "today")
    due = effective_due(rule, start, cal)
    first = next((d for d in _dates(published) if start <= d < end and d <= today), None)
    if first is not None:
        return ("on_time" if first <= due else "late"), due, first
    if today <= due:
        return "open", due, None
    return ("missed" if today >= end else "overdue"), due, None


def disclosure_deadline(changed_on: date, days: int = DEFAULT_DISCLOSURE_DAYS,
                        calendar: WorkingDayCalendar | None = None) -> date:
    """变更公开期限: the days-th 工作日 after the change (a change on a holiday counts from the next)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"disclosure days must be an int between 1 and 365, got {days!r}")
    return _cal(calendar).add_working_days(as_date(changed_on, "changed_on"), days)


def disclosure_status(changed_on: date, published_on: date | None, today: date,
                      days: int = DEFAULT_DISCLOSURE_DAYS, soon: int = DEFAULT_SOON_DAYS,
                      calendar: WorkingDayCalendar | None = None) -> DueStatus:
    """A change and its publication: met (on time), late (published after the deadline, state
    "overdue" with late_days), or still unpublished: pending / due_soon / overdue."""
    cal = _cal(calendar)
    due = disclosure_deadline(changed_on, days, cal)
    today = as_date(today, "today")
    if published_on is not None:
        published_on = as_date(published_on, "published_on")
        if published_on <= due:
            return DueStatus("met", due, None, published_on)
        return DueStatus("overdue", due, None, published_on, 0,
                         cal.working_days_between(due, published_on))
    state, left = _warn(today, due, soon, cal)
    late = cal.working_days_between(due, today) if state == "overdue" else 0
    return DueStatus(state, due, None, None, left, late)


def publicity_status(rule: TimeRule, start: datetime, now: datetime,
                     calendar: WorkingDayCalendar | None = None) -> tuple[datetime, int] | None:
    """即时/公示: (window end, working days left) for an immediate rule with a length, else None."""
    if rule.kind is not TimeRuleKind.IMMEDIATE or rule.working_days is None:
        return None
    end = publicity_end(start, rule.working_days, calendar)
    return end, working_days_left(end, now, calendar)
