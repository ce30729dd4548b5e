"""时限 time rules as pure functions: 公示 windows in working days, and 定期 due dates.

Every datetime must be timezone-aware; a naive one raises ValueError, because a window that
means different instants on the server and on a kiosk would expire at the wrong moment.
A "day" of a datetime is its own local date (in its own tzinfo).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from content.calendar import WorkingDayCalendar, as_date, default_calendar
from content.model import Period, TimeRule, TimeRuleKind, Window

_ONE_DAY = timedelta(days=1)
_MONTHS_IN = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}


def _aware(value, name: str) -> datetime:
    """Reject naive or non-datetime values early with a message that names the argument."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (with a UTC offset), got naive {value}")
    return value


def _cal(calendar: WorkingDayCalendar | None) -> WorkingDayCalendar:
    """The given calendar, or the shared default one."""
    return default_calendar() if calendar is None else calendar


def _midnight(d: date, tz) -> datetime:
    """00:00 local time of day d in tz: where a 公示 window ends."""
    return datetime.combine(d, time(0), tzinfo=tz)


def is_visible(window: Window, when: datetime) -> bool:
    """Whether a screen shows the item at `when`: inside [start, end), open ends unbounded."""
    _aware(when, "when")
    if window.start is not None:
        _aware(window.start, "window.start")
    if window.end is not None:
        _aware(window.end, "window.end")
    return window.contains(when)


def publicity_end(start: datetime, working_days: int,
                  calendar: WorkingDayCalendar | None = None) -> datetime:
    """End of a 公示 of N 工作日: 00:00 after the N-th working day, day 1 being the first on/after start."""
    _aware(start, "start")
    if isinstance(working_days, bool) or not isinstance(working_days, int):
        raise TypeError(f"working_days must be an int, got {type(working_days).__name__}")
    if working_days < 1:
        raise ValueError(f"working_days must be at least 1, got {working_days}")
    try:
        last = _cal(calendar).add_working_days(start.date() - _ONE_DAY, working_days)
        return _midnight(last + _ONE_DAY, start.tzinfo)
    except OverflowError:
        raise ValueError("the 公示 window would end outside the calendar") from None


def window_for(rule: TimeRule, start: datetime, end: datetime | None = None,
               calendar: WorkingDayCalendar | None = None) -> Window:
    """The display window an item gets from its 时限; an explicit end always wins over the rule."""
    _aware(start, "start")
    if end is not None:
        _aware(end, "end")
        if end <= start:
            raise ValueError(f"the window end ({end.isoformat()}) must be after its start "
                             f"({start.isoformat()})")
        return Window(start, end)
    if rule.kind is TimeRuleKind.IMMEDIATE and rule.working_days is not None:
        return Window(start, publicity_end(start, rule.working_days, calendar))
    return Window(start, None)


def working_days_left(end: datetime, now: datetime,
                      calendar: WorkingDayCalendar | None = None) -> int:
    """For the badge "公示中 · 还剩 N 个工作日": working days d with now's date <= d and d's 00:00 < end.

    Dates are taken in end's time zone (now is converted to it). The day `now` falls on counts
    if it is a working day. 0 once now >= end. At the start of a window made by publicity_end
    this returns exactly the window's working days; on its last working day it returns 1.
    """
    _aware(end, "end")
    _aware(now, "now")
    if now >= end:
        return 0
    today = now.astimezone(end.tzinfo).date()
    last = end.date() - _ONE_DAY if end.time() == time(0) else end.date()
    if last < today:
        return 0
    return _cal(calendar).working_days_between(today - _ONE_DAY, last)


# --- 定期 periodic rules -----------------------------------------------------------------------

def _as_period(period) -> Period:
    """Accept a Period or its value ("month", "quarter", "year"), else a clear ValueError."""
    try:
        return Period(period)
    except ValueError:
        raise ValueError(f"unknown period: {period!r} (expected month, quarter or year)") from None


def _periodic(rule) -> TimeRule:
    """Only 定期 rules have due dates."""
    if not isinstance(rule, TimeRule) or rule.kind is not TimeRuleKind.PERIODIC:
        raise ValueError("not a periodic rule")
    return rule


def period_start(period: Period, d: date) -> date:
    """First day of the month, quarter (Jan/Apr/Jul/Oct) or year that contains d."""
    period, d = _as_period(period), as_date(d)
    months = _MONTHS_IN[period]
    return date(d.year, (d.month - 1) // months * months + 1, 1)


def next_period_start(period: Period, d: date) -> date:
    """First day of the period after the one containing d (December rolls into next year)."""
    period = _as_period(period)
    start = period_start(period, d)
    index = start.year * 12 + start.month - 1 + _MONTHS_IN[period]
    year, month = divmod(index, 12)
    if year > date.max.year:
        raise ValueError(f"no period after {start.isoformat()}: beyond the calendar")
    return date(year, month + 1, 1)


def due_date_in_period(rule: TimeRule, d: date) -> date:
    """Due date of the period containing d: the due_day-th of the period's first month."""
    rule = _periodic(rule)
    return period_start(rule.period, d).replace(day=rule.due_day)


def _satisfied(rule: TimeRule, last_published: date | None, today: date) -> bool:
    """A period's due date is met by any publication on or after that period's first day."""
    if last_published is None:
        return False
    return as_date(last_published, "last_published") >= period_start(rule.period, today)


def next_due(rule: TimeRule, last_published: date | None, today: date) -> date:
    """Earliest unmet due date: this period's (even if past, i.e. overdue), else the next period's.

    A last_published later than today (clock skew) only satisfies the current period.
    """
    rule, today = _periodic(rule), as_date(today, "today")
    if not _satisfied(rule, last_published, today):
        return due_date_in_period(rule, today)
    return due_date_in_period(rule, next_period_start(rule.period, today))


def is_overdue(rule: TimeRule, last_published: date | None, today: date) -> bool:
    """逾期: this period's due date is before today and nothing was published in this period.

    Only the current period counts: before this period's due date the item is not overdue even if
    the previous period's due date was missed (that miss belongs to reports, not to this flag).
    """
    rule, today = _periodic(rule), as_date(today, "today")
    satisfied = _satisfied(rule, last_published, today)
    return due_date_in_period(rule, today) < today and not satisfied


def days_until_due(rule: TimeRule, last_published: date | None, today: date) -> int:
    """Days from today to next_due; negative when overdue (for "逾期 N 天" labels)."""
    today = as_date(today, "today")
    return (next_due(rule, last_published, today) - today).days
