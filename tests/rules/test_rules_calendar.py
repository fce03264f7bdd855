"""Working-day arithmetic on the real 2026 Kazakhstan calendar (holidays.KZ)."""

from datetime import date

import pytest

from rules.calendar import CalendarOverrides, WorkCalendar, public_holidays

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 20), True),  # Friday
        (date(2026, 3, 21), False),  # Saturday, Nauryz
        (date(2026, 3, 23), False),  # Monday, Nauryz
        (date(2026, 3, 24), False),  # Nauryz carried over (observed)
        (date(2026, 3, 25), False),  # Nauryz carried over (observed)
        (date(2026, 3, 26), True),
        (date(2026, 5, 7), False),  # Defender of the Fatherland Day
        (date(2026, 5, 11), False),  # Victory Day (Saturday 9 May) observed
        (date(2026, 12, 16), False),  # Independence Day
        (date(2026, 12, 17), True),
        (date(2026, 12, 19), False),  # Saturday
    ],
)
def test_is_working_day_2026(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_report_friday_before_nauryz() -> None:
    # 21-22 weekend, 23-25 Nauryz; 26 (1), 27 (2), 30 (3).
    assert CAL.add_working_days(date(2026, 3, 20), 3) == date(2026, 3, 30)


def test_report_before_may_holidays() -> None:
    # 7 May holiday; 8 Fri (1); 9-10 weekend; 11 Victory Day observed; 12 (2); 13 (3).
    assert CAL.add_working_days(date(2026, 5, 6), 3) == date(2026, 5, 13)


def test_report_before_independence_day() -> None:
    # 16 Dec holiday; 17 (1); 18 (2); 19-20 weekend; 21 (3).
    assert CAL.add_working_days(date(2026, 12, 15), 3) == date(2026, 12, 21)


def test_report_on_a_weekend_counts_from_the_next_working_day() -> None:
    assert CAL.add_working_days(date(2026, 4, 11), 3) == date(2026, 4, 15)  # Sat → Wed


def test_extra_working_saturday_shortens_the_period() -> None:
    cal = WorkCalendar(CalendarOverrides(extra_working_days=frozenset({date(2026, 3, 28)})))
    assert cal.is_working_day(date(2026, 3, 28))
    assert cal.add_working_days(date(2026, 3, 20), 3) == date(2026, 3, 28)


def test_extra_day_off_lengthens_the_period() -> None:
    cal = WorkCalendar(CalendarOverrides(extra_days_off=frozenset({date(2026, 3, 27)})))
    assert not cal.is_working_day(date(2026, 3, 27))
    assert cal.add_working_days(date(2026, 3, 20), 3) == date(2026, 3, 31)


def test_overrides_cannot_both_add_and_remove_a_day() -> None:
    day = frozenset({date(2026, 1, 3)})
    with pytest.raises(ValueError, match="2026-01-03"):
        CalendarOverrides(extra_days_off=day, extra_working_days=day)


def test_empty_overrides() -> None:
    assert CalendarOverrides.empty() == CalendarOverrides(frozenset(), frozenset())


def test_n_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 3, 20), 0)
    with pytest.raises(ValueError):
        CAL.working_days_before(date(2026, 3, 20), 0)


def test_working_days_before_thursday_is_monday() -> None:
    # p18 "не менее чем за три рабочих дня до дня заседания": Wed (1), Tue (2), Mon (3).
    assert CAL.working_days_before(date(2026, 4, 16), 3) == date(2026, 4, 13)


def test_working_days_before_skips_nauryz() -> None:
    # Meeting Thursday 26 March: 25, 24, 23 Nauryz, 22-21 weekend; 20 (1), 19 (2), 18 (3).
    assert CAL.working_days_before(date(2026, 3, 26), 3) == date(2026, 3, 18)


def test_working_days_before_skips_may_holidays() -> None:
    # Meeting Tuesday 12 May: 11 observed, 10-9 weekend, 8 (1), 7 holiday, 6 (2), 5 (3).
    assert CAL.working_days_before(date(2026, 5, 12), 3) == date(2026, 5, 5)


def test_holidays_are_cached_per_year() -> None:
    assert public_holidays(2026) is public_holidays(2026)
    assert date(2026, 3, 25) in public_holidays(2026)
