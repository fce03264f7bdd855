"""Property tests for working-day arithmetic, with and without admin overrides."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import CalendarOverrides, WorkCalendar

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
N = st.integers(min_value=1, max_value=40)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    off = draw(st.frozensets(DAYS, max_size=15))
    working = draw(st.frozensets(DAYS, max_size=15)) - off
    return WorkCalendar(CalendarOverrides(extra_days_off=off, extra_working_days=working))


# Building a year's holiday table takes a while the first time, so no per-example time limit.
# A decorator, not a loaded profile: profiles are global and would change other suites' tests.
SETTINGS = settings(deadline=None, max_examples=200)


@SETTINGS
@given(calendars(), DAYS, N)
def test_add_working_days_lands_on_a_working_day_after_start(
    cal: WorkCalendar, start: date, n: int
) -> None:
    due = cal.add_working_days(start, n)
    assert due > start
    assert cal.is_working_day(due)
    # Exactly n working days in (start, due].
    assert cal.working_days_between(start, due) + 1 - cal.is_working_day(start) == n


@SETTINGS
@given(calendars(), DAYS, N, N)
def test_add_working_days_is_monotonic_in_n(cal: WorkCalendar, start: date, a: int, b: int) -> None:
    if a < b:
        assert cal.add_working_days(start, a) < cal.add_working_days(start, b)
    elif a == b:
        assert cal.add_working_days(start, a) == cal.add_working_days(start, b)


@SETTINGS
@given(calendars(), DAYS, N)
def test_add_working_days_composes(cal: WorkCalendar, start: date, n: int) -> None:
    assert cal.add_working_days(cal.add_working_days(start, n), 1) == cal.add_working_days(
        start, n + 1
    )


@SETTINGS
@given(calendars(), DAYS, N)
def test_working_days_before_is_the_latest_date_n_working_days_before(
    cal: WorkCalendar, meeting: date, n: int
) -> None:
    latest = cal.working_days_before(meeting, n)
    assert latest < meeting
    assert cal.is_working_day(latest)
    # At least n working days from that day up to (not including) the meeting day ...
    assert cal.working_days_between(latest, meeting) == n
    # ... and no later day would still leave n of them.
    later = cal.next_working_day(latest)
    assert later >= meeting or cal.working_days_between(later, meeting) < n


@SETTINGS
@given(calendars(), DAYS, N)
def test_before_and_after_are_inverse_on_working_days(cal: WorkCalendar, day: date, n: int) -> None:
    if cal.is_working_day(day):
        assert cal.working_days_before(cal.add_working_days(day, n), n) == day
