"""时限: 公示 windows in working days, the kiosk's days-left badge, and 定期 due dates."""
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from content.calendar import WorkingDayCalendar
from content.model import Period, TimeRule, TimeRuleKind, Window
from content.timerules import (days_until_due, due_date_in_period, is_overdue, is_visible,
                               next_due, next_period_start, period_start, publicity_end,
                               window_for, working_days_left)

CST = timezone(timedelta(hours=8))
UTC = timezone.utc
CAL = WorkingDayCalendar()
MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}


def at(y, m, d, h=0, mi=0, tz=CST):
    return datetime(y, m, d, h, mi, tzinfo=tz)


def periodic(period, due_day):
    return TimeRule(TimeRuleKind.PERIODIC, period=period, due_day=due_day)


QUARTERLY_10 = periodic(Period.QUARTER, 10)
MONTHLY_5 = periodic(Period.MONTH, 5)
YEARLY_10 = periodic(Period.YEAR, 10)
NOT_PERIODIC = [TimeRule(), TimeRule(TimeRuleKind.IMMEDIATE, working_days=5),
                TimeRule(TimeRuleKind.PHASED)]

AWARE = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2034, 12, 31),
                     timezones=st.sampled_from([CST, UTC, timezone(timedelta(hours=-5))]))
DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
RULES = st.builds(periodic, st.sampled_from(list(Period)), st.integers(min_value=1, max_value=28))


def is_period_first_day(period, d):
    return d.day == 1 and (d.month - 1) % MONTHS[period] == 0


def brute_period_start(period, d):
    """Oracle: walk back a day at a time to the first day of an aligned month."""
    while not is_period_first_day(period, d):
        d -= timedelta(days=1)
    return d


def brute_next_period_start(period, d):
    """Oracle: walk forward a day at a time to the next first day of an aligned month."""
    d += timedelta(days=1)
    while not is_period_first_day(period, d):
        d += timedelta(days=1)
    return d


# --- 公示 windows -------------------------------------------------------------------------------

def test_five_working_days_from_a_monday_morning():
    assert publicity_end(at(2024, 9, 2, 9), 5) == at(2024, 9, 7)


def test_start_on_a_non_working_day_counts_from_the_next_working_day():
    assert publicity_end(at(2024, 9, 7, 10), 5) == at(2024, 9, 14)   # Sat → Mon 9..Fri 13
    assert publicity_end(at(2024, 10, 1, 9), 1) == at(2024, 10, 9)   # National Day → Tue Oct 8


def test_window_across_national_day_uses_make_up_days():
    # Fri 27, Sun 29 (调休), Mon 30, Tue Oct 8, Wed Oct 9
    assert publicity_end(at(2024, 9, 27, 15), 5) == at(2024, 10, 10)


def test_end_keeps_the_start_time_zone_and_its_local_date():
    # 17:00 UTC on Sunday Sep 1 is 01:00 on Monday Sep 2 in China: day 1 differs
    assert publicity_end(at(2024, 9, 1, 17, tz=UTC), 1) == at(2024, 9, 3, tz=UTC)
    end = publicity_end(at(2024, 9, 1, 17, tz=UTC).astimezone(CST), 1)
    assert end == at(2024, 9, 3) and end.utcoffset() == timedelta(hours=8)


def test_publicity_end_uses_the_given_calendar():
    mine = WorkingDayCalendar({date(2024, 9, 3): False})
    assert publicity_end(at(2024, 9, 2, 9), 2, calendar=mine) == at(2024, 9, 5)


@pytest.mark.parametrize("days", [0, -1])
def test_publicity_needs_a_positive_count(days):
    with pytest.raises(ValueError, match="at least 1"):
        publicity_end(at(2024, 9, 2), days)


@pytest.mark.parametrize("days", [1.5, "5", None, True])
def test_publicity_count_must_be_an_int(days):
    with pytest.raises(TypeError, match="working_days must be an int"):
        publicity_end(at(2024, 9, 2), days)


def test_publicity_too_long_or_off_the_calendar():
    with pytest.raises(ValueError, match="3660"):
        publicity_end(at(2024, 9, 2), 4000)
    with pytest.raises(ValueError, match="outside the calendar"):
        publicity_end(datetime(9999, 12, 31, tzinfo=UTC), 1)


@pytest.mark.parametrize("call", [
    lambda: publicity_end(datetime(2024, 9, 2, 9), 5),
    lambda: window_for(TimeRule(), datetime(2024, 9, 2)),
    lambda: window_for(TimeRule(), at(2024, 9, 2), datetime(2024, 9, 9)),
    lambda: working_days_left(datetime(2024, 9, 7), at(2024, 9, 2)),
    lambda: working_days_left(at(2024, 9, 7), datetime(2024, 9, 2)),
    lambda: is_visible(Window(at(2024, 9, 2)), datetime(2024, 9, 3)),
    lambda: is_visible(Window(datetime(2024, 9, 2)), at(2024, 9, 3)),
    lambda: is_visible(Window(None, datetime(2024, 9, 2)), at(2024, 9, 3)),
])
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize("bad", ["2024-09-02T09:00+08:00", date(2024, 9, 2), None])
def test_non_datetimes_are_refused(bad):
    with pytest.raises(TypeError, match="must be a datetime"):
        publicity_end(bad, 5)


def test_window_for_immediate_rule_computes_the_end():
    rule = TimeRule(TimeRuleKind.IMMEDIATE, working_days=5)
    assert window_for(rule, at(2024, 9, 2, 9)) == Window(at(2024, 9, 2, 9), at(2024, 9, 7))


def test_window_for_explicit_end_wins():
    rule = TimeRule(TimeRuleKind.IMMEDIATE, working_days=5)
    assert window_for(rule, at(2024, 9, 2, 9), at(2024, 9, 20)) == \
        Window(at(2024, 9, 2, 9), at(2024, 9, 20))


@pytest.mark.parametrize("rule", [TimeRule(), QUARTERLY_10, TimeRule(TimeRuleKind.PHASED),
                                  TimeRule(TimeRuleKind.IMMEDIATE)])
def test_window_for_other_rules_is_start_to_given_end(rule):
    assert window_for(rule, at(2024, 9, 2)) == Window(at(2024, 9, 2), None)
    assert window_for(rule, at(2024, 9, 2), at(2024, 12, 1)) == Window(at(2024, 9, 2), at(2024, 12, 1))


@pytest.mark.parametrize("end", [at(2024, 9, 2, 9), at(2024, 9, 1), at(2024, 9, 2, 1, tz=UTC)])
def test_window_end_must_be_after_start(end):
    rule = TimeRule(TimeRuleKind.IMMEDIATE, working_days=5)
    with pytest.raises(ValueError, match="must be after its start"):
        window_for(rule, at(2024, 9, 2, 9), end)


def test_is_visible_is_half_open():
    w = Window(at(2024, 9, 2, 9), at(2024, 9, 7))
    assert is_visible(w, at(2024, 9, 2, 9))
    assert is_visible(w, at(2024, 9, 6, 23, 59))
    assert not is_visible(w, at(2024, 9, 7))
    assert not is_visible(w, at(2024, 9, 2, 8, 59))
    assert is_visible(w, at(2024, 9, 2, 1, tz=UTC))     # 09:00 in China
    assert is_visible(Window(), at(2024, 9, 2))
    assert is_visible(Window(None, at(2024, 9, 7)), at(1990, 1, 1))
    assert not is_visible(Window(at(2024, 9, 7), None), at(2024, 9, 6))


# --- 还剩 N 个工作日 ----------------------------------------------------------------------------

@pytest.mark.parametrize("now, left", [
    (at(2024, 9, 2, 9), 5),         # the start moment of the window
    (at(2024, 9, 2, 23, 59), 5),    # today still counts
    (at(2024, 9, 3, 0), 4),
    (at(2024, 9, 6, 16), 1),        # last working day
    (at(2024, 9, 6, 23, 59), 1),
    (at(2024, 9, 7), 0),            # ended
    (at(2024, 10, 1), 0),
    (at(2024, 8, 31, 12), 5),       # Saturday before the window
])
def test_days_left_in_a_monday_to_friday_window(now, left):
    assert working_days_left(at(2024, 9, 7), now) == left


def test_days_left_across_national_day():
    end = at(2024, 10, 10)
    assert working_days_left(end, at(2024, 9, 27, 15)) == 5
    assert working_days_left(end, at(2024, 9, 28, 12)) == 4   # Saturday, rest day
    assert working_days_left(end, at(2024, 10, 1, 12)) == 2   # Oct 8 and 9 remain


def test_days_left_when_end_is_not_midnight():
    assert working_days_left(at(2024, 9, 6, 17), at(2024, 9, 6, 9)) == 1
    assert working_days_left(at(2024, 9, 6, 17), at(2024, 9, 5, 9)) == 2
    assert working_days_left(at(2024, 9, 6, 17), at(2024, 9, 6, 17)) == 0


def test_days_left_reads_now_in_the_end_time_zone():
    end = at(2024, 9, 7)
    assert working_days_left(end, at(2024, 9, 5, 20, tz=UTC)) == 1   # Fri 04:00 in China
    assert working_days_left(end, at(2024, 9, 6, 17, tz=UTC)) == 0   # Sat 01:00 in China


# --- 公示 properties ----------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(AWARE, st.integers(min_value=1, max_value=60))
def test_window_holds_exactly_n_working_days(start, n):
    end = publicity_end(start, n, CAL)
    assert end > start and end.tzinfo is start.tzinfo
    assert (end.hour, end.minute, end.second, end.microsecond) == (0, 0, 0, 0)
    last = end.date() - timedelta(days=1)
    assert CAL.is_working_day(last)
    assert CAL.working_days_between(start.date() - timedelta(days=1), last) == n
    assert working_days_left(end, start, CAL) == n
    assert window_for(TimeRule(TimeRuleKind.IMMEDIATE, working_days=n), start, calendar=CAL) == \
        Window(start, end)


@settings(max_examples=100, deadline=None)
@given(AWARE, st.integers(min_value=1, max_value=30), st.timedeltas(timedelta(0), timedelta(days=60)),
       st.timedeltas(timedelta(0), timedelta(days=10)))
def test_days_left_never_grows_and_hits_zero_at_the_end(start, n, wait, more):
    end = publicity_end(start, n, CAL)
    now = start + wait
    left = working_days_left(end, now, CAL)
    assert 0 <= working_days_left(end, now + more, CAL) <= left <= n
    assert (left == 0) == (now >= end)
    assert is_visible(Window(start, end), now) == (now < end)


# --- 定期 due dates ----------------------------------------------------------------------------

@pytest.mark.parametrize("period, d, start", [
    (Period.MONTH, date(2024, 5, 17), date(2024, 5, 1)),
    (Period.QUARTER, date(2024, 5, 17), date(2024, 4, 1)),
    (Period.QUARTER, date(2024, 12, 31), date(2024, 10, 1)),
    (Period.QUARTER, date(2024, 1, 1), date(2024, 1, 1)),
    (Period.YEAR, date(2024, 12, 31), date(2024, 1, 1)),
    ("quarter", date(2024, 9, 30), date(2024, 7, 1)),
    (Period.MONTH, datetime(2024, 2, 29, 23), date(2024, 2, 1)),
])
def test_period_start(period, d, start):
    assert period_start(period, d) == start


@pytest.mark.parametrize("period, d, start", [
    (Period.MONTH, date(2024, 12, 31), date(2025, 1, 1)),
    (Period.QUARTER, date(2024, 11, 15), date(2025, 1, 1)),
    (Period.QUARTER, date(2024, 2, 15), date(2024, 4, 1)),
    (Period.YEAR, date(2024, 6, 1), date(2025, 1, 1)),
])
def test_next_period_start(period, d, start):
    assert next_period_start(period, d) == start


@pytest.mark.parametrize("d, due", [
    (date(2024, 2, 20), date(2024, 1, 10)), (date(2024, 4, 1), date(2024, 4, 10)),
    (date(2024, 8, 31), date(2024, 7, 10)), (date(2024, 12, 31), date(2024, 10, 10)),
])
def test_quarterly_due_dates(d, due):
    assert due_date_in_period(QUARTERLY_10, d) == due


def test_monthly_and_yearly_due_dates():
    feb_28 = periodic(Period.MONTH, 28)
    assert due_date_in_period(feb_28, date(2024, 2, 1)) == date(2024, 2, 28)
    assert due_date_in_period(feb_28, date(2023, 2, 28)) == date(2023, 2, 28)
    assert due_date_in_period(MONTHLY_5, date(2024, 7, 31)) == date(2024, 7, 5)
    assert due_date_in_period(periodic(Period.YEAR, 15), date(2024, 11, 3)) == date(2024, 1, 15)


def test_publishing_early_in_the_quarter_satisfies_its_due_date():
    assert next_due(QUARTERLY_10, date(2024, 4, 5), date(2024, 4, 8)) == date(2024, 7, 10)
    assert next_due(QUARTERLY_10, date(2024, 4, 1), date(2024, 6, 30)) == date(2024, 7, 10)
    assert not is_overdue(QUARTERLY_10, date(2024, 4, 5), date(2024, 5, 1))


def test_publishing_in_the_previous_quarter_does_not():
    assert next_due(QUARTERLY_10, date(2024, 3, 28), date(2024, 4, 8)) == date(2024, 4, 10)
    assert not is_overdue(QUARTERLY_10, date(2024, 3, 28), date(2024, 4, 10))   # due today
    assert is_overdue(QUARTERLY_10, date(2024, 3, 28), date(2024, 4, 11))
    assert next_due(QUARTERLY_10, date(2024, 3, 28), date(2024, 5, 20)) == date(2024, 4, 10)
    assert days_until_due(QUARTERLY_10, date(2024, 3, 28), date(2024, 4, 15)) == -5
    assert days_until_due(QUARTERLY_10, date(2024, 3, 28), date(2024, 4, 8)) == 2


def test_never_published():
    assert next_due(MONTHLY_5, None, date(2024, 7, 3)) == date(2024, 7, 5)
    assert not is_overdue(MONTHLY_5, None, date(2024, 7, 5))
    assert is_overdue(MONTHLY_5, None, date(2024, 7, 6))
    assert next_due(MONTHLY_5, None, date(2024, 7, 6)) == date(2024, 7, 5)


def test_december_rolls_into_next_year():
    assert next_due(MONTHLY_5, date(2024, 12, 3), date(2024, 12, 20)) == date(2025, 1, 5)
    assert next_due(QUARTERLY_10, date(2024, 10, 9), date(2024, 11, 15)) == date(2025, 1, 10)
    assert next_due(YEARLY_10, date(2024, 1, 10), date(2024, 6, 1)) == date(2025, 1, 10)
    assert next_due(YEARLY_10, date(2023, 12, 31), date(2024, 6, 1)) == date(2024, 1, 10)


def test_an_older_miss_is_not_overdue_before_the_current_due_date():
    # Q2 2024 was never published; on Jul 3 only Q3 (due Jul 10) is looked at
    assert not is_overdue(QUARTERLY_10, date(2024, 1, 5), date(2024, 7, 3))
    assert next_due(QUARTERLY_10, date(2024, 1, 5), date(2024, 7, 3)) == date(2024, 7, 10)


def test_future_publication_date_satisfies_only_the_current_period():
    assert next_due(MONTHLY_5, date(2024, 9, 1), date(2024, 7, 20)) == date(2024, 8, 5)


@pytest.mark.parametrize("rule", NOT_PERIODIC)
@pytest.mark.parametrize("fn", [next_due, is_overdue, days_until_due])
def test_non_periodic_rules_have_no_due_date(rule, fn):
    with pytest.raises(ValueError, match="not a periodic rule"):
        fn(rule, None, date(2024, 7, 1))


@pytest.mark.parametrize("rule", NOT_PERIODIC + [None, "periodic"])
def test_due_date_needs_a_periodic_rule(rule):
    with pytest.raises(ValueError, match="not a periodic rule"):
        due_date_in_period(rule, date(2024, 7, 1))


@pytest.mark.parametrize("period", ["week", "", None, 3])
def test_unknown_period(period):
    with pytest.raises(ValueError, match="unknown period"):
        period_start(period, date(2024, 7, 1))


def test_bad_dates_in_periodic_functions():
    with pytest.raises(TypeError, match="today must be a datetime.date"):
        next_due(QUARTERLY_10, None, "2024-07-01")
    with pytest.raises(TypeError, match="last_published must be a datetime.date"):
        is_overdue(QUARTERLY_10, "2024-07-01", date(2024, 7, 1))
    with pytest.raises(ValueError, match="beyond the calendar"):
        next_due(QUARTERLY_10, date(9999, 10, 1), date(9999, 11, 1))


@settings(max_examples=300)
@given(RULES, DAYS)
def test_periods_match_the_day_by_day_oracle(rule, d):
    start = period_start(rule.period, d)
    assert start == brute_period_start(rule.period, d)
    assert next_period_start(rule.period, d) == brute_next_period_start(rule.period, d)
    due = due_date_in_period(rule, d)
    assert due == start.replace(day=rule.due_day) and period_start(rule.period, due) == start


@settings(max_examples=300)
@given(RULES, st.one_of(st.none(), DAYS), DAYS)
def test_next_due_is_an_unmet_due_date_from_this_period_on(rule, last, today):
    due = next_due(rule, last, today)
    start = brute_period_start(rule.period, today)
    assert due >= start
    assert due.day == rule.due_day and is_period_first_day(rule.period, due.replace(day=1))
    met = last is not None and last >= start
    assert due == (brute_next_period_start(rule.period, today) if met else start).replace(
        day=rule.due_day)
    assert is_overdue(rule, last, today) == (due < today)
    assert days_until_due(rule, last, today) == (due - today).days


@settings(max_examples=300)
@given(RULES, DAYS)
def test_publishing_today_clears_overdue_and_moves_to_next_period(rule, today):
    assert not is_overdue(rule, today, today)
    due = next_due(rule, today, today)
    assert due > today
    assert brute_period_start(rule.period, due) == brute_next_period_start(rule.period, today)


@settings(max_examples=200)
@given(RULES, DAYS, st.integers(min_value=1, max_value=400))
def test_a_publication_before_the_period_counts_as_none(rule, today, back):
    old = brute_period_start(rule.period, today) - timedelta(days=back)
    assert next_due(rule, old, today) == next_due(rule, None, today)
    assert is_overdue(rule, old, today) == is_overdue(rule, None, today)
