"""时限监督: due dates across year ends, Spring Festival, National Day and 调休 weekends (dates checked
by hand against the State Council's arrangements), and properties of the roll-forward rule."""
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from content.calendar import WorkingDayCalendar
from content.duedates import (STATES, disclosure_deadline, disclosure_status, effective_due,
                              period_outcome, periodic_status, publicity_status, roll_forward)
from content.model import Period, TimeRule, TimeRuleKind
from content.timerules import due_date_in_period

CAL = WorkingDayCalendar()
CST = timezone(timedelta(hours=8))


def periodic(period, due_day):
    return TimeRule(TimeRuleKind.PERIODIC, period=period, due_day=due_day)


QUARTERLY_10 = periodic(Period.QUARTER, 10)
MONTHLY_1 = periodic(Period.MONTH, 1)
YEARLY_28 = periodic(Period.YEAR, 28)


# --- effective due dates on holidays and 调休 ----------------------------------------------------

@pytest.mark.parametrize("rule, day, expected", [
    # 2026-01-01/02 元旦 (Thu, Fri), 01-03 Sat rest, 01-04 Sunday is a 调休 working day
    (MONTHLY_1, date(2026, 1, 20), date(2026, 1, 4)),
    # 2026 Spring Festival: 02-15 … 02-23 rest; due the 16th moves to Tuesday 02-24
    (periodic(Period.MONTH, 16), date(2026, 2, 2), date(2026, 2, 24)),
    # 2026 National Day: 10-01 … 10-07 rest; 10-10 is a Saturday but a 调休 working day: it stays
    (QUARTERLY_10, date(2026, 11, 30), date(2026, 10, 10)),
    # 2025 National Day + Mid-Autumn: 10-01 … 10-08 rest; due the 5th moves to Thursday 10-09
    (periodic(Period.QUARTER, 5), date(2025, 12, 31), date(2025, 10, 9)),
    # 2025 Spring Festival: 01-28 … 02-04 rest; yearly due 28 January moves to Wednesday 02-05
    (YEARLY_28, date(2025, 7, 1), date(2025, 2, 5)),
    # plain weekend: 2025-05-10 is a Saturday, Monday 05-12 is the due date
    (periodic(Period.MONTH, 10), date(2025, 5, 20), date(2025, 5, 12)),
    # a weekday that is simply a working day stays
    (QUARTERLY_10, date(2025, 8, 1), date(2025, 7, 10)),
])
def test_effective_due_moves_off_rest_days(rule, day, expected):
    assert effective_due(rule, day, CAL) == expected
    assert CAL.is_working_day(expected)


def test_roll_forward_keeps_working_days_and_moves_holidays():
    assert roll_forward(date(2026, 2, 14), CAL) == date(2026, 2, 14)   # 调休 Saturday
    assert roll_forward(date(2026, 2, 15), CAL) == date(2026, 2, 24)
    assert roll_forward(date(2024, 10, 1), CAL) == date(2024, 10, 8)


# --- periodic status across the year end ---------------------------------------------------------

def test_monthly_met_in_december_is_next_due_on_the_first_working_day_of_january():
    status = periodic_status(MONTHLY_1, [date(2025, 12, 1)], date(2025, 12, 31), calendar=CAL)
    assert status.state == "met"
    assert status.next_due == date(2026, 1, 4)  # 元旦 01-01/02, Saturday rest, Sunday 调休 works
    assert status.last_published == date(2025, 12, 1)


def test_december_publication_does_not_meet_january():
    status = periodic_status(MONTHLY_1, [date(2025, 12, 1)], date(2026, 1, 3), calendar=CAL)
    assert status.state == "due_soon" and status.due == date(2026, 1, 4)
    status = periodic_status(MONTHLY_1, [date(2025, 12, 1)], date(2026, 1, 5), calendar=CAL)
    assert status.state == "overdue" and status.late_days == 1


def test_quarterly_overdue_and_late_days_skip_the_holiday():
    # Q1 2026: the 10th is a Saturday (rest), so the due date is Monday 01-12.
    assert effective_due(QUARTERLY_10, date(2026, 2, 1), CAL) == date(2026, 1, 12)
    status = periodic_status(QUARTERLY_10, [date(2025, 10, 9)], date(2026, 2, 24), calendar=CAL)
    assert status.state == "overdue"
    # working days in (01-12, 02-24]: January 13–30 = 14, February 2–13 = 10, 14th (调休) = 1,
    # Spring Festival 15–23 = 0, 24th = 1
    assert status.late_days == 26


def test_not_yet_due_is_pending_and_within_the_span_due_soon():
    far = periodic_status(QUARTERLY_10, [], date(2026, 7, 1), soon=3, calendar=CAL)
    assert far.state == "pending" and far.due == date(2026, 7, 10) and far.working_days_left == 7
    near = periodic_status(QUARTERLY_10, [], date(2026, 7, 7), soon=3, calendar=CAL)
    assert near.state == "due_soon" and near.working_days_left == 3


def test_on_the_due_day_it_is_due_soon_not_overdue():
    status = periodic_status(QUARTERLY_10, [], date(2026, 10, 10), calendar=CAL)
    assert status.state == "due_soon" and status.working_days_left == 0


def test_publication_after_today_is_ignored():
    status = periodic_status(QUARTERLY_10, [date(2026, 12, 1)], date(2026, 11, 1), calendar=CAL)
    assert status.state == "overdue" and status.last_published is None


def test_not_periodic_is_refused():
    with pytest.raises(ValueError):
        periodic_status(TimeRule(), [], date(2026, 1, 1))


# --- report outcomes -----------------------------------------------------------------------------

@pytest.mark.parametrize("published, today, outcome", [
    ([date(2026, 10, 10)], date(2026, 12, 1), "on_time"),
    ([date(2026, 10, 12)], date(2026, 12, 1), "late"),
    ([date(2026, 9, 30)], date(2026, 12, 1), "overdue"),   # the previous quarter does not count
    ([], date(2027, 1, 5), "missed"),
    ([], date(2026, 10, 9), "open"),
])
def test_period_outcome(published, today, outcome):
    assert period_outcome(QUARTERLY_10, published, date(2026, 11, 15), today, CAL)[0] == outcome


# --- 变更 disclosure deadlines -------------------------------------------------------------------

def test_twenty_working_days_over_national_day():
    # change on Wed 2026-09-30: Oct 1–7 rest; Oct 8, 9, 10 (调休 Sat), 12–16, 19–23, 26–30 = 18;
    # Nov 2 = 19, Nov 3 = 20
    assert disclosure_deadline(date(2026, 9, 30), 20, CAL) == date(2026, 11, 3)


def test_ten_working_days_for_licences_over_spring_festival():
    # change on Thu 2026-02-12: 13, 14 (调休 Sat), then rest to 23, then 24–27 = 6, 28 (调休 Sat) = 7,
    # Mar 2, 3, 4 = 10
    assert disclosure_deadline(date(2026, 2, 12), 10, CAL) == date(2026, 3, 4)


def test_change_on_new_years_eve():
    # change on Wed 2025-12-31: Jan 1–3 rest, Sun 4 (调休) = 1, 5–9 = 6, 12–15 = 10
    assert disclosure_deadline(date(2025, 12, 31), 10, CAL) == date(2026, 1, 15)


def test_disclosure_status_states():
    changed = date(2026, 9, 30)
    assert disclosure_status(changed, date(2026, 11, 3), date(2026, 12, 1), calendar=CAL).state == "met"
    late = disclosure_status(changed, date(2026, 11, 5), date(2026, 12, 1), calendar=CAL)
    assert late.state == "overdue" and late.late_days == 2
    open_late = disclosure_status(changed, None, date(2026, 11, 4), calendar=CAL)
    assert open_late.state == "overdue" and open_late.late_days == 1
    soon = disclosure_status(changed, None, date(2026, 10, 28), soon=5, calendar=CAL)
    assert soon.state == "due_soon" and soon.working_days_left == 4  # Oct 29, 30, Nov 2, 3
    assert disclosure_status(changed, None, date(2026, 10, 27), soon=3, calendar=CAL).state == "pending"


@pytest.mark.parametrize("days", [0, -1, 366, "20", True, 2.5])
def test_bad_disclosure_days(days):
    with pytest.raises(ValueError):
        disclosure_deadline(date(2026, 1, 5), days)


def test_publicity_status_for_immediate_rules_only():
    rule = TimeRule(TimeRuleKind.IMMEDIATE, working_days=5)
    start = datetime(2026, 9, 29, 9, tzinfo=CST)  # Tue: 29, 30, Oct 8, 9, 10 (调休 Sat)
    end, left = publicity_status(rule, start, datetime(2026, 10, 2, tzinfo=CST), CAL)
    assert end == datetime(2026, 10, 11, tzinfo=CST) and left == 3
    assert publicity_status(TimeRule(), start, start, CAL) is None


# --- properties ----------------------------------------------------------------------------------

RULES = st.builds(periodic, st.sampled_from(list(Period)), st.integers(min_value=1, max_value=28))
DAYS = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 1))


@settings(max_examples=300, deadline=None)
@given(RULES, DAYS)
def test_effective_due_is_a_working_day_on_or_after_the_nominal_day(rule, day):
    due = effective_due(rule, day, CAL)
    nominal = due_date_in_period(rule, day)
    assert CAL.is_working_day(due)
    assert due >= nominal
    assert all(not CAL.is_working_day(nominal + timedelta(days=i)) for i in range((due - nominal).days))


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 1)),
       st.integers(min_value=1, max_value=40))
def test_disclosure_deadline_is_a_working_day_n_working_days_later(changed, days):
    due = disclosure_deadline(changed, days, CAL)
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(changed, due) == days


@settings(max_examples=300, deadline=None)
@given(RULES, DAYS, st.lists(DAYS, max_size=4))
def test_periodic_status_states_agree(rule, today, published):
    status = periodic_status(rule, published, today, calendar=CAL)
    assert status.state in STATES and CAL.is_working_day(status.due)
    if status.state == "met":
        assert status.next_due > today and CAL.is_working_day(status.next_due)
    elif status.state == "overdue":
        assert today > status.due and status.late_days >= 0
    else:
        assert today <= status.due
