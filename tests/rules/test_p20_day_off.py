"""p20 (issue 11 item 9): the 30th calendar day is the date to aim for; when it is a day off the
term legally ends on the next working day, and only after that is the deadline overdue."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from rules.clock import KZ_TZ
from rules.deadlines import agency_notice_deadline


def kz(y: int, m: int, d: int, hh: int = 12) -> datetime:
    return datetime(y, m, d, hh, tzinfo=KZ_TZ)


# (appeal reached the agency, 30th day, legal last day): Sundays before a Monday holiday.
SUNDAY_BEFORE_MONDAY_OFF = [
    (date(2026, 2, 6), date(2026, 3, 8), date(2026, 3, 10)),  # 9 March off for Women's Day
    (date(2026, 4, 10), date(2026, 5, 10), date(2026, 5, 12)),  # 11 May off for Victory Day
    (date(2026, 6, 5), date(2026, 7, 5), date(2026, 7, 7)),  # Capital Day, Monday 6 July
    (date(2026, 9, 25), date(2026, 10, 25), date(2026, 10, 27)),  # Republic Day, moved to 26
    (date(2027, 2, 12), date(2027, 3, 14), date(2027, 3, 16)),  # Constitution Day 15 March
    (date(2027, 4, 9), date(2027, 5, 9), date(2027, 5, 11)),  # Victory Day moved to 10 May
]


@pytest.mark.parametrize(("appeal", "aim", "end"), SUNDAY_BEFORE_MONDAY_OFF, ids=str)
def test_sunday_before_a_monday_holiday_ends_on_tuesday(appeal: date, aim: date, end: date) -> None:
    assert aim.weekday() == 6 and end.weekday() == 1
    deadline = agency_notice_deadline(appeal)
    assert deadline.aim_date == aim
    assert deadline.due_date == end
    assert deadline.moved_by_day_off
    assert deadline.state(kz(end.year, end.month, end.day, 23)) != "overdue"
    after = date.fromordinal(end.toordinal() + 1)
    assert deadline.state(kz(after.year, after.month, after.day, 0)) == "overdue"
    # Done on the legal last day is on time, not late.
    done = agency_notice_deadline(appeal, met_at=kz(end.year, end.month, end.day, 17))
    assert done.state(kz(2028, 1, 1)) == "met"


def test_working_30th_day_is_the_legal_end() -> None:
    # Appeal 15 December 2026 → Thursday 14 January 2027, a working day.
    deadline = agency_notice_deadline(date(2026, 12, 15))
    assert deadline.aim_date == deadline.due_date == date(2027, 1, 14)
    assert not deadline.moved_by_day_off
    assert deadline.state(kz(2027, 1, 15, 0)) == "overdue"


def test_kurban_ait_and_nauryz() -> None:
    # 30th day Wednesday 27 May 2026, Kurban Ait → Thursday 28 May.
    assert agency_notice_deadline(date(2026, 4, 27)).due_date == date(2026, 5, 28)
    # 30th day Saturday 21 March 2026: Nauryz 21-23 March and the moved 24-25 → Thursday 26.
    assert agency_notice_deadline(date(2026, 2, 19)).due_date == date(2026, 3, 26)
