"""The working-day calendar on the real Kazakh calendar of 2026 and 2027 (issue 11 item 14):
the 2026 Constitution (30 August no longer a holiday from 2026, 15 March one from 2027), Kurban
Ait, and the days off moved from a weekend (Labour Code art. 85)."""

from __future__ import annotations

from datetime import date

import pytest

from rules.calendar import WorkCalendar, public_holidays

CAL = WorkCalendar()

DAYS_OFF = [
    date(2026, 1, 1),
    date(2026, 1, 2),
    date(2026, 1, 7),
    date(2026, 3, 9),  # 8 March 2026 is a Sunday
    date(2026, 3, 23),
    date(2026, 3, 24),
    date(2026, 3, 25),  # Nauryz 21-23, moved 24-25
    date(2026, 5, 1),
    date(2026, 5, 7),
    date(2026, 5, 11),  # Victory Day 9 May 2026 is a Saturday
    date(2026, 5, 27),  # Kurban Ait 2026
    date(2026, 7, 6),
    date(2026, 10, 26),  # Republic Day 25 October 2026 is a Sunday
    date(2026, 12, 16),
    date(2027, 1, 1),
    date(2027, 1, 4),  # 2 January 2027 is a Saturday
    date(2027, 3, 8),
    date(2027, 3, 15),  # Constitution Day, a holiday from 2027
    date(2027, 3, 22),
    date(2027, 3, 23),
    date(2027, 3, 24),  # Nauryz, 21 March a Sunday
    date(2027, 5, 3),  # 1 May 2027 is a Saturday
    date(2027, 5, 7),
    date(2027, 5, 10),  # 9 May 2027 is a Sunday
    date(2027, 7, 6),
    date(2027, 10, 25),
    date(2027, 12, 16),
]
WORKING_DAYS = [
    date(2026, 8, 31),  # Monday after 30 August 2026: no Constitution Day any more
    date(2026, 8, 28),
    date(2026, 3, 16),
    date(2026, 5, 26),
    date(2026, 5, 28),
    date(2026, 10, 27),
    date(2027, 3, 16),
    date(2027, 8, 30),
]


@pytest.mark.parametrize("day", DAYS_OFF, ids=str)
def test_days_off(day: date) -> None:
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize("day", WORKING_DAYS, ids=str)
def test_working_days(day: date) -> None:
    assert CAL.is_working_day(day)


def test_no_constitution_day_on_30_august_from_2026() -> None:
    for year in (2026, 2027):
        assert date(year, 8, 30) not in public_holidays(year)
        assert date(year, 8, 31) not in public_holidays(year)
    assert date(2025, 8, 30) in public_holidays(2025)
    assert date(2026, 3, 15) not in public_holidays(2026)
    assert date(2027, 3, 15) in public_holidays(2027)


def test_kurban_ait_2026_moves_p9() -> None:
    # Report on Tuesday 26 May 2026: Wednesday 27 is Kurban Ait; 28 (1), 29 (2), 1 June (3).
    assert CAL.add_working_days(date(2026, 5, 26), 3) == date(2026, 6, 1)


def test_weekend_moved_days_2027() -> None:
    # Report on Friday 12 March 2027: 15 March is Constitution Day; 16 (1), 17 (2), 18 (3).
    assert CAL.add_working_days(date(2027, 3, 12), 3) == date(2027, 3, 18)
    # Friday 19 March 2027: 22-24 Nauryz (21 a Sunday); 25 (1), 26 (2), 29 (3).
    assert CAL.add_working_days(date(2027, 3, 19), 3) == date(2027, 3, 29)
    # Thursday 29 April 2027: 1 May a Saturday, so Monday 3 May is off; 30 (1), 4 (2), 5 (3).
    assert CAL.add_working_days(date(2027, 4, 29), 3) == date(2027, 5, 5)
