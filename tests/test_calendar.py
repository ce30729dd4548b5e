"""The working-day calendar: official 2024/2025 arrangements, fallback years, overrides, invariants.

Known facts come from the State Council notices (国务院办公厅关于2024年/2025年部分节假日安排的通知),
counted by hand in the comments, not by the code under test.
"""
import logging
import subprocess
import sys
from datetime import date, datetime, timedelta

import chinese_calendar
import holidays
import pytest
from hypothesis import assume, given, settings, strategies as st

from content import calendar as cal_mod
from content.calendar import (MAX_STEPS, WorkingDayCalendar, add_working_days, is_working_day,
                              working_days_between)

CAL = WorkingDayCalendar()
# crosses the package's coverage (2004-2026) on both sides
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))
STEPS = st.integers(min_value=0, max_value=MAX_STEPS)


def naive_count(cal, a, b):
    """Working days in (a, b] by walking day by day: the oracle for the year-by-year count."""
    return sum(cal.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


@pytest.mark.parametrize("day", range(1, 8))
def test_national_day_2024_is_a_holiday(day):
    assert not CAL.is_working_day(date(2024, 10, day))


@pytest.mark.parametrize("d", [date(2024, 9, 29), date(2024, 10, 12), date(2025, 1, 26)])
def test_make_up_weekend_days_are_working_days(d):
    assert d.weekday() >= 5
    assert CAL.is_working_day(d)


def test_ordinary_days():
    assert CAL.is_working_day(date(2024, 10, 8))       # Tuesday after National Day
    assert not CAL.is_working_day(date(2024, 10, 19))  # ordinary Saturday
    assert not CAL.is_working_day(date(2025, 1, 28))   # 除夕 2025, a Tuesday


def test_yearly_totals_match_the_official_arrangements():
    # 2024: 262 weekdays - 19 weekday holidays + 8 make-up days = 251
    assert CAL.working_days_between(date(2023, 12, 31), date(2024, 12, 31)) == 251
    # 2025: 261 weekdays - 18 weekday holidays + 5 make-up days = 248
    assert CAL.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 248


def test_october_2024_has_19_working_days():
    # 23 weekdays - Oct 1,2,3,4,7 + Saturday Oct 12
    assert CAL.working_days_between(date(2024, 9, 30), date(2024, 10, 31)) == 19


def test_add_working_days_across_national_day():
    assert CAL.add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert CAL.add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert CAL.add_working_days(date(2024, 9, 27), 4) == date(2024, 10, 9)
    assert CAL.add_working_days(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert CAL.add_working_days(date(2024, 10, 3), 0) == date(2024, 10, 3)


def test_between_signs_and_equal_dates():
    assert CAL.working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1
    assert CAL.working_days_between(date(2024, 10, 8), date(2024, 9, 30)) == -1
    assert CAL.working_days_between(date(2024, 10, 8), date(2024, 10, 8)) == 0


def test_datetime_is_reduced_to_its_date():
    assert CAL.is_working_day(datetime(2024, 10, 12, 23, 59))
    assert CAL.add_working_days(datetime(2024, 9, 30, 8), 1) == date(2024, 10, 8)


@pytest.mark.parametrize("year", [2003, 2150])
def test_year_without_any_source_falls_back_to_monday_to_friday_and_warns(year, caplog):
    cal = WorkingDayCalendar()
    jan = [date(year, 1, d) for d in range(1, 15)]
    with caplog.at_level(logging.WARNING, logger="content.calendar"):
        got = [cal.is_working_day(d) for d in jan]
        cal.is_working_day(date(year, 6, 1))
    assert got == [d.isoweekday() <= 5 for d in jan]
    assert cal.fallback_years == {year} and cal.is_provisional(date(year, 6, 1))
    assert cal.warnings() == [f"{year} 年的法定节假日安排未知，按周一至周五计算工作日"]
    assert len([r for r in caplog.records if str(year) in r.getMessage()]) == 1


def test_fallback_warning_from_counting_and_adding(caplog):
    cal = WorkingDayCalendar()
    with caplog.at_level(logging.WARNING, logger="content.calendar"):
        # Tue Dec 31 2149, then Mon-Fri of January 2150 (Jan 1 2150 is a Thursday): 1 + 22
        assert cal.working_days_between(date(2149, 12, 30), date(2150, 1, 31)) == 23
        assert cal.add_working_days(date(2150, 1, 2), 2) == date(2150, 1, 6)
    assert cal.fallback_years == {2149, 2150}
    assert cal.warnings() == ["2149 年的法定节假日安排未知，按周一至周五计算工作日",
                              "2150 年的法定节假日安排未知，按周一至周五计算工作日"]
    assert len(caplog.records) == 2


def test_a_request_in_december_2026_is_not_due_on_new_years_day_2027():
    """chinesecalendar ends at 2026: the holidays package supplies 2027's statutory holidays."""
    cal = WorkingDayCalendar()
    due = cal.add_working_days(date(2026, 12, 4), 20)   # 19 working days left in December
    assert due == date(2027, 1, 4)                       # not Friday 1 January (元旦)
    assert cal.is_provisional(due) and not cal.is_provisional(date(2026, 12, 31))
    assert cal.warnings() == ["2027 年的调休安排尚未公布，工作日按法定节假日和周一至周五计算，日期可能随官方安排调整"]
    assert cal.fallback_years == set()


def test_spring_festival_2027_is_not_counted():
    cal = WorkingDayCalendar()
    holiday = [date(2027, 2, d) for d in (5, 8, 9, 10)]            # 除夕 Fri … Wed, as listed
    assert not any(cal.is_working_day(d) for d in holiday)
    assert cal.is_working_day(date(2027, 2, 11)) and cal.is_working_day(date(2027, 2, 4))
    assert cal.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)
    assert cal.working_days_between(date(2027, 1, 31), date(2027, 2, 14)) == 6   # 1–4, 11, 12


def test_an_override_settles_a_provisional_year():
    cal = WorkingDayCalendar({date(2027, 2, 20): True})    # an admin enters the official 调休 Saturday
    assert cal.is_working_day(date(2027, 2, 20)) and not cal.is_provisional(date(2027, 3, 1))
    assert not cal.is_working_day(date(2027, 2, 8))        # the package's holidays still count
    assert cal.warnings() == []


def test_known_years_give_no_warnings():
    cal = WorkingDayCalendar()
    cal.working_days_between(date(2004, 1, 1), date(2026, 12, 31))
    assert cal.fallback_years == set()
    assert cal.warnings() == []


def test_overrides_win_over_the_package():
    cal = WorkingDayCalendar({date(2024, 10, 1): True, date(2024, 9, 29): False})
    assert cal.is_working_day(date(2024, 10, 1))
    assert not cal.is_working_day(date(2024, 9, 29))
    assert not cal.is_working_day(date(2024, 10, 2))   # no override: the package decides
    assert cal.is_working_day(date(2024, 10, 12))


def test_override_table_covers_its_year_silently(caplog):
    cal = WorkingDayCalendar({date(2031, 1, 1): False, date(2031, 1, 4): True})
    with caplog.at_level(logging.WARNING, logger="content.calendar"):
        assert not cal.is_working_day(date(2031, 1, 1))   # 元旦 entered by an admin
        assert cal.is_working_day(date(2031, 1, 4))       # a Saturday made a working day
        assert cal.is_working_day(date(2031, 1, 2))       # missing day: Thursday
        assert not cal.is_working_day(date(2031, 1, 5))   # missing day: Sunday
        assert cal.working_days_between(date(2030, 12, 31), date(2031, 1, 7)) == 5
    assert cal.fallback_years == set()
    assert cal.warnings() == []
    assert caplog.records == []


def test_module_level_shortcuts():
    assert add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1
    assert not is_working_day(date(2024, 10, 1))
    mine = WorkingDayCalendar({date(2024, 10, 1): True})
    assert add_working_days(date(2024, 9, 30), 1, calendar=mine) == date(2024, 10, 1)
    assert working_days_between(date(2024, 9, 30), date(2024, 10, 8), calendar=mine) == 2
    assert is_working_day(date(2024, 10, 1), calendar=mine)


@pytest.mark.parametrize("bad", ["2024-10-01", 20241001, None, 1.5])
def test_non_dates_raise_type_error(bad):
    with pytest.raises(TypeError, match="must be a datetime.date"):
        CAL.is_working_day(bad)
    with pytest.raises(TypeError, match="must be a datetime.date"):
        CAL.working_days_between(date(2024, 1, 1), bad)


@pytest.mark.parametrize("n", [1.0, "3", True, None])
def test_non_int_steps_raise_type_error(n):
    with pytest.raises(TypeError, match="n must be an int"):
        CAL.add_working_days(date(2024, 1, 1), n)


@pytest.mark.parametrize("n", [MAX_STEPS + 1, -MAX_STEPS - 1, 10 ** 9])
def test_too_many_steps_raise_value_error(n):
    with pytest.raises(ValueError, match="between -3660 and 3660"):
        CAL.add_working_days(date(2024, 1, 1), n)


def test_limit_itself_is_allowed():
    d = CAL.add_working_days(date(2024, 1, 1), MAX_STEPS)
    assert CAL.working_days_between(date(2024, 1, 1), d) == MAX_STEPS


@pytest.mark.parametrize("d, n", [(date.max, 1), (date(9999, 12, 30), 5), (date.min, -1)])
def test_running_off_the_calendar_raises_value_error(d, n):
    with pytest.raises(ValueError, match="outside the calendar"):
        WorkingDayCalendar().add_working_days(d, n)


def test_extreme_ranges_count_without_crashing():
    cal = WorkingDayCalendar()
    assert cal.working_days_between(date.max, date.max) == 0
    assert cal.working_days_between(date(9999, 12, 24), date.max) == 5  # Mon 27 .. Fri 31
    assert cal.working_days_between(date.min, date(1, 1, 7)) == 4      # Tue 2 .. Fri 5


@pytest.mark.parametrize("overrides, error", [
    ({"2024-10-01": True}, "must be a datetime.date"),
    ({date(2024, 10, 1): 1}, "must be True or False"),
    ({date(2024, 10, 1): "no"}, "must be True or False"),
])
def test_bad_overrides_raise(overrides, error):
    with pytest.raises(TypeError, match=error):
        WorkingDayCalendar(overrides)


def test_import_does_no_work_and_pulls_no_frameworks():
    code = ("import sys, content.calendar as c, content.timerules\n"
            "assert c.default_calendar.cache_info().currsize == 0\n"
            "assert c._package_year.cache_info().currsize == 0\n"
            "bad = {'flask', 'sqlalchemy', 'kivy'} & {m.split('.')[0] for m in sys.modules}\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=cal_mod.__file__.rsplit("/", 2)[0])


@settings(max_examples=200, deadline=None)
@given(DATES)
def test_agrees_with_the_package_inside_its_range_and_weekdays_outside(d):
    cal = WorkingDayCalendar()
    if 2004 <= d.year <= 2026:
        assert cal.is_working_day(d) == chinese_calendar.is_workday(d)
        assert cal.fallback_years == set()
    elif d.year > 2026:
        listed = holidays.China(years=d.year)
        assert cal.is_working_day(d) == (d not in listed and d.weekday() < 5)
        assert cal.fallback_years == set() and cal.provisional_years == {d.year}
    else:
        assert cal.is_working_day(d) == (d.weekday() < 5)
        assert cal.fallback_years == {d.year}


@settings(max_examples=150, deadline=None)
@given(DATES, STEPS)
def test_between_undoes_add(d, n):
    assert CAL.working_days_between(d, CAL.add_working_days(d, n)) == n


@settings(max_examples=150, deadline=None)
@given(DATES, st.integers(min_value=1, max_value=MAX_STEPS))
def test_add_lands_on_a_working_day_and_backwards_counts_match(d, n):
    forward, back = CAL.add_working_days(d, n), CAL.add_working_days(d, -n)
    assert back < d < forward
    assert CAL.is_working_day(forward) and CAL.is_working_day(back)
    assert CAL.working_days_between(back, d) == n - 1 + CAL.is_working_day(d)
    assert CAL.working_days_between(d, back) == -(n - 1 + CAL.is_working_day(d))


@settings(max_examples=100, deadline=None)
@given(DATES, st.integers(min_value=1, max_value=MAX_STEPS))
def test_add_then_subtract_returns_to_a_working_day(d, n):
    assume(CAL.is_working_day(d))
    assert CAL.add_working_days(CAL.add_working_days(d, n), -n) == d


@settings(max_examples=100, deadline=None)
@given(DATES, st.integers(min_value=0, max_value=1500))
def test_year_by_year_count_equals_walking_day_by_day(a, span):
    b = a + timedelta(days=span)
    assert CAL.working_days_between(a, b) == naive_count(CAL, a, b)


@settings(max_examples=100, deadline=None)
@given(DATES, DATES, DATES)
def test_between_is_additive(a, b, c):
    assert (CAL.working_days_between(a, b) + CAL.working_days_between(b, c)
            == CAL.working_days_between(a, c))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(DATES, st.booleans(), max_size=20), DATES)
def test_overrides_always_win(overrides, d):
    cal = WorkingDayCalendar(overrides)
    for day, working in overrides.items():
        assert cal.is_working_day(day) is working
    if d not in overrides and d.year < 2004:
        assert cal.is_working_day(d) == (d.weekday() < 5)
        assert (d.year in cal.fallback_years) == (d.year not in {k.year for k in overrides})
