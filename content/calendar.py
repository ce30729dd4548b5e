"""工作日 working-day calendar: the official Chinese calendar with 调休, plus an admin override table.

Three sources, in order, after the admin's override table:
1. `chinesecalendar` (1.11.0, import name `chinese_calendar`) knows the State Council's holiday
   arrangements — rest days and 调休 make-up working days — for 2004–2026 only.
2. For later years, the `holidays` package's China calendar: the statutory holidays (and the days off
   it lists with them), plus the 调休 working days where it names them ("substituted from …"). A year
   for which it names no 调休 is *provisional*: a deadline never lands on a known holiday, but the
   official schedule may still move it; staff see a warning and applicants are told.
3. Otherwise Monday–Friday, and the year is recorded so the admin UI can warn.

Dates only: a `datetime` is accepted and reduced to its `.date()` (its own local date, no time zone
conversion); anything else raises TypeError.
"""
from __future__ import annotations

import functools
import logging
import re
from datetime import date, datetime, timedelta

import chinese_calendar

log = logging.getLogger(__name__)

MAX_STEPS = 3660
PACKAGE_YEARS = (2004, 2026)  # what chinesecalendar 1.11.0 covers; informative, not used to decide
_ONE_DAY = timedelta(days=1)


def as_date(value, name: str = "d") -> date:
    """Normalise a date argument (datetime → its .date()) so every caller rejects junk alike."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")


def _as_steps(n) -> int:
    """Validate a working-day count; the bound keeps a typo from looping for centuries."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if abs(n) > MAX_STEPS:
        raise ValueError(f"n must be between -{MAX_STEPS} and {MAX_STEPS} working days, got {n}")
    return n


@functools.lru_cache(maxsize=256)
def _package_year(year: int) -> frozenset[date] | None:
    """The package's working days of `year`, or None if it has no data (cached: its lookup is slow)."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    days = (date(year, 1, 1) + timedelta(days=i) for i in range(366))
    return frozenset(d for d in days if d.year == year and chinese_calendar.is_workday(d))


_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


@functools.lru_cache(maxsize=256)
def _second_source_year(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    """Rest days and 调休 working days of `year` from the `holidays` package, or None if it has no
    China data for that year (cached; the package is imported on first use, not at import)."""
    if year <= PACKAGE_YEARS[1]:
        return None
    try:
        import holidays
        listed = holidays.China(years=year)
    except (ImportError, NotImplementedError, KeyError, ValueError):
        return None
    rest = frozenset(d for d in listed if d.year == year)
    makeup = set()
    for name in listed.values():
        for mm, dd, yyyy in _SUBSTITUTED.findall(name):
            makeup.add(date(int(yyyy), int(mm), int(dd)))
    return (rest, frozenset(d for d in makeup if d.year == year)) if rest else None


def _weekdays_in(first: date, last: date) -> int:
    """Monday–Friday count in [first, last], by arithmetic so far-off ranges stay cheap."""
    days = (last - first).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < 5)


class WorkingDayCalendar:
    """Answers "is this a 工作日?" from overrides, then the package, then Monday–Friday."""

    def __init__(self, overrides: dict[date, bool] | None = None):
        self._overrides: dict[date, bool] = {}
        for key, value in (overrides or {}).items():
            if not isinstance(value, bool):
                raise TypeError(f"override for {key!r} must be True or False, got {value!r}")
            self._overrides[as_date(key, "override date")] = value
        self._override_years = frozenset(d.year for d in self._overrides)
        self.fallback_years: set[int] = set()
        self.provisional_years: set[int] = set()

    def is_working_day(self, d: date) -> bool:
        """Override first, then the official calendar (调休 days work, 法定节假日 rest), then the
        holidays package's statutory holidays, then Mon–Fri."""
        d = as_date(d)
        if d in self._overrides:
            return self._overrides[d]
        known = _package_year(d.year)
        if known is not None:
            return d in known
        second = _second_source_year(d.year)
        if second is not None:
            rest, makeup = second
            if not makeup and d.year not in self._override_years:
                self.provisional_years.add(d.year)
            return d in makeup or (d not in rest and d.weekday() < 5)
        self._note_fallback(d.year)
        return d.weekday() < 5

    def is_provisional(self, d: date) -> bool:
        """True when a date counted to or through `d` may still move with the official schedule:
        its year's 调休 (or all its holidays) are not known and no override covers the year."""
        year = as_date(d).year
        if year in self._override_years or _package_year(year) is not None:
            return False
        second = _second_source_year(year)
        return second is None or not second[1]

    def warnings(self) -> list[str]:
        """Chinese messages for the admin UI: one per year counted without the full schedule."""
        out = [f"{y} 年的法定节假日安排未知，按周一至周五计算工作日" for y in sorted(self.fallback_years)]
        out += [f"{y} 年的调休安排尚未公布，工作日按法定节假日和周一至周五计算，日期可能随官方安排调整"
                for y in sorted(self.provisional_years - self.fallback_years)]
        return out

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th 工作日 after d (d not counted); n == 0 gives d, n < 0 counts backwards."""
        d, n = as_date(d), _as_steps(n)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        left = abs(n)
        try:
            while left:
                d += step
                left -= self.is_working_day(d)
        except OverflowError:
            raise ValueError(f"{n} working days from the given date is outside the calendar") from None
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negated (b, a] when b < a — e.g. for 限时办结 deadlines."""
        a, b = as_date(a, "a"), as_date(b, "b")
        if b < a:
            return -self.working_days_between(b, a)
        if a == b:
            return 0
        total = 0
        for year in range(a.year, b.year + 1):
            first = max(a + _ONE_DAY, date(year, 1, 1))
            last = min(b, date(year, 12, 31))
            if first <= last:
                total += self._count_year_segment(first, last)
        return total

    def _count_year_segment(self, first: date, last: date) -> int:
        """Count [first, last] within one year; plain fallback years use arithmetic, not a loop."""
        if (first.year not in self._override_years and _package_year(first.year) is None
                and _second_source_year(first.year) is None):
            self._note_fallback(first.year)
            return _weekdays_in(first, last)
        days = (last - first).days + 1
        return sum(self.is_working_day(first + timedelta(days=i)) for i in range(days))

    def _note_fallback(self, year: int) -> None:
        """Remember and log (once per year) that a year is counted Mon–Fri, unless overrides cover it."""
        if year in self._override_years or year in self.fallback_years:
            return
        self.fallback_years.add(year)
        log.warning("no holiday data for %d: counting Monday to Friday as working days", year)


@functools.lru_cache(maxsize=1)
def default_calendar() -> WorkingDayCalendar:
    """The shared calendar without overrides, built on first use so importing does no work."""
    return WorkingDayCalendar()


def _pick(calendar: WorkingDayCalendar | None) -> WorkingDayCalendar:
    """The given calendar, or the shared default one."""
    return default_calendar() if calendar is None else calendar


def is_working_day(d: date, calendar: WorkingDayCalendar | None = None) -> bool:
    """Module-level shortcut for WorkingDayCalendar.is_working_day."""
    return _pick(calendar).is_working_day(d)


def add_working_days(d: date, n: int, calendar: WorkingDayCalendar | None = None) -> date:
    """Module-level shortcut for WorkingDayCalendar.add_working_days."""
    return _pick(calendar).add_working_days(d, n)


def working_days_between(a: date, b: date, calendar: WorkingDayCalendar | None = None) -> int:
    """Module-level shortcut for WorkingDayCalendar.working_days_between."""
    return _pick(calendar).working_days_between(a, b)
