"""Section 2 and 3 deadlines on the real Kazakh calendar of 2026 and 2027, exact dates, for
reports on both sides of every 2026 holiday (issue 11, "Must show").

The calendar is holidays.KZ alone (days moved because a holiday fell on a weekend included);
the government decree's extra transfers are entered by an admin and are not assumed here. Each
expected date is counted by hand in the comment beside it: p9 counts three working days from
the day after receipt, p8 is the day of receipt, p18 counts three working days back from the
day before the meeting, p19 three working days from the day after the decision, p20 thirty
calendar days with its legal last day moved past a day off.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from rules.calendar import WorkCalendar
from rules.clock import KZ_TZ
from rules.deadlines import agency_notice_deadline, case_deadlines, commission_deadlines
from rules.workflow import CaseFacts

CAL = WorkCalendar()

# (report day, p9 written confirmation due): the working day before and after each holiday.
P9 = [
    # New Year 1-2 January (Thu-Fri), Orthodox Christmas 7 January (Wed)
    (date(2025, 12, 31), date(2026, 1, 8)),  # 5 (1), 6 (2), 7 off, 8 (3)
    (date(2026, 1, 5), date(2026, 1, 9)),  # 6 (1), 7 off, 8 (2), 9 (3)
    (date(2026, 1, 6), date(2026, 1, 12)),  # 7 off, 8 (1), 9 (2), 12 (3)
    (date(2026, 1, 8), date(2026, 1, 13)),  # 9 (1), 12 (2), 13 (3)
    # Women's Day 8 March (Sun) → Monday 9 March off
    (date(2026, 3, 6), date(2026, 3, 12)),  # 9 off; 10 (1), 11 (2), 12 (3)
    (date(2026, 3, 10), date(2026, 3, 13)),
    # Nauryz 21-23 March (Sat-Mon), moved to 24-25 March
    (date(2026, 3, 20), date(2026, 3, 30)),  # 26 (1), 27 (2), 30 (3)
    (date(2026, 3, 21), date(2026, 3, 30)),  # reported on Nauryz itself
    (date(2026, 3, 26), date(2026, 3, 31)),
    # Unity Day 1 May (Fri)
    (date(2026, 4, 30), date(2026, 5, 6)),  # 1 off; 4 (1), 5 (2), 6 (3)
    (date(2026, 5, 4), date(2026, 5, 8)),  # 5 (1), 6 (2), 7 off, 8 (3)
    # Defender's Day 7 May (Thu); Victory Day 9 May (Sat) → Monday 11 May off
    (date(2026, 5, 6), date(2026, 5, 13)),  # 7 off, 8 (1), 11 off, 12 (2), 13 (3)
    (date(2026, 5, 8), date(2026, 5, 14)),  # 11 off; 12 (1), 13 (2), 14 (3)
    (date(2026, 5, 12), date(2026, 5, 15)),
    # Kurban Ait 27 May (Wed)
    (date(2026, 5, 26), date(2026, 6, 1)),  # 27 off; 28 (1), 29 (2), 1 June (3)
    (date(2026, 5, 27), date(2026, 6, 1)),  # reported on Kurban Ait itself
    (date(2026, 5, 28), date(2026, 6, 2)),
    # Capital Day 6 July (Mon)
    (date(2026, 7, 3), date(2026, 7, 9)),  # 6 off; 7 (1), 8 (2), 9 (3)
    (date(2026, 7, 7), date(2026, 7, 10)),
    # 30 August: no holiday since the 2026 Constitution (Monday 31 August is worked)
    (date(2026, 8, 28), date(2026, 9, 2)),  # 31 (1), 1 (2), 2 (3)
    (date(2026, 8, 31), date(2026, 9, 3)),
    # Republic Day 25 October (Sun) → Monday 26 October off
    (date(2026, 10, 23), date(2026, 10, 29)),  # 26 off; 27 (1), 28 (2), 29 (3)
    (date(2026, 10, 27), date(2026, 10, 30)),
    # Independence Day 16 December (Wed)
    (date(2026, 12, 15), date(2026, 12, 21)),  # 16 off; 17 (1), 18 (2), 21 (3)
    (date(2026, 12, 17), date(2026, 12, 22)),
    # New Year 2027: 1 January (Fri), 2 January (Sat) → Monday 4 January off; 7 January (Thu)
    (date(2026, 12, 30), date(2027, 1, 6)),  # 31 (1), 1 off, 4 off, 5 (2), 6 (3)
    (date(2027, 1, 6), date(2027, 1, 12)),  # 7 off; 8 (1), 11 (2), 12 (3)
    # Constitution Day 15 March 2027 (Mon), a holiday from 2027
    (date(2027, 3, 12), date(2027, 3, 18)),  # 15 off; 16 (1), 17 (2), 18 (3)
]


def _facts(day: date, hour: int = 11) -> CaseFacts:
    return CaseFacts(
        received_at=datetime(day.year, day.month, day.day, hour, tzinfo=KZ_TZ),
        anonymous=False,
        nda_intended=True,
    )


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=KZ_TZ)


@pytest.mark.parametrize(("received", "due"), P9, ids=lambda d: d.isoformat())
def test_report_deadlines_around_each_holiday(received: date, due: date) -> None:
    deadlines = {d.key: d for d in case_deadlines(_facts(received), [], CAL)}
    assert set(deadlines) == {"kns_notification", "nda", "written_confirmation"}
    # p8: the same day, holiday or not.
    assert deadlines["kns_notification"].due_date == received
    # p7: 24 calendar hours.
    assert deadlines["nda"].due == _at(received, 11) + timedelta(hours=24)
    confirmation = deadlines["written_confirmation"]
    assert confirmation.due_date == due
    assert CAL.is_working_day(due)
    assert confirmation.warn_from == CAL.previous_working_day(due)
    assert confirmation.state(_at(due, 23, 59)) == "due_soon"
    assert confirmation.state(_at(due + timedelta(days=1), 0)) == "overdue"


MEETINGS = [
    # (meeting, p18 materials due, decision, p19 copy due)
    (date(2026, 3, 10), date(2026, 3, 4), date(2026, 3, 10), date(2026, 3, 13)),
    # back from 10 March: 9 off, 6 (1), 5 (2), 4 (3); copy: 11 (1), 12 (2), 13 (3)
    (date(2026, 3, 26), date(2026, 3, 18), date(2026, 3, 26), date(2026, 3, 31)),
    # back from 26 March: 25-23 off, 20 (1), 19 (2), 18 (3)
    (date(2026, 5, 28), date(2026, 5, 22), date(2026, 5, 28), date(2026, 6, 2)),
    # back from 28 May: 27 off, 26 (1), 25 (2), 22 (3)
    (date(2026, 7, 7), date(2026, 7, 1), date(2026, 7, 7), date(2026, 7, 10)),
    # back from 7 July: 6 off, 3 (1), 2 (2), 1 (3)
    (date(2026, 12, 11), date(2026, 12, 8), date(2026, 12, 11), date(2026, 12, 17)),
    # back from 11 December: 10 (1), 9 (2), 8 (3); copy: 14 (1), 15 (2), 16 off, 17 (3)
]


@pytest.mark.parametrize(
    ("meeting", "materials", "decided", "copy"), MEETINGS, ids=lambda d: d.isoformat()
)
def test_commission_deadlines_around_holidays(
    meeting: date, materials: date, decided: date, copy: date
) -> None:
    got = {d.key: d.due_date for d in commission_deadlines(meeting, decided, CAL)}
    assert got == {"commission_materials": materials, "commission_decision_copy": copy}


AGENCY = [
    # (appeal reached the agency, 30th day, legal last day)
    (date(2026, 2, 6), date(2026, 3, 8), date(2026, 3, 10)),  # Sun 8, Mon 9 off → Tue 10
    (date(2026, 2, 19), date(2026, 3, 21), date(2026, 3, 26)),  # Nauryz 21-25 → Thu 26
    (date(2026, 4, 1), date(2026, 5, 1), date(2026, 5, 4)),  # Fri 1 May → Mon 4
    (date(2026, 4, 7), date(2026, 5, 7), date(2026, 5, 8)),  # Thu 7 May → Fri 8
    (date(2026, 4, 9), date(2026, 5, 9), date(2026, 5, 12)),  # Sat 9, Mon 11 off → Tue 12
    (date(2026, 4, 27), date(2026, 5, 27), date(2026, 5, 28)),  # Kurban Ait → Thu 28
    (date(2026, 6, 6), date(2026, 7, 6), date(2026, 7, 7)),  # Capital Day → Tue 7
    (date(2026, 7, 31), date(2026, 8, 30), date(2026, 8, 31)),  # Sunday; 31 August worked
    (date(2026, 9, 25), date(2026, 10, 25), date(2026, 10, 27)),  # Sun, Mon 26 off → Tue 27
    (date(2026, 11, 16), date(2026, 12, 16), date(2026, 12, 17)),  # Independence Day
    (date(2026, 12, 2), date(2027, 1, 1), date(2027, 1, 5)),  # 1 Jan, weekend, Mon 4 off
    (date(2026, 11, 5), date(2026, 12, 5), date(2026, 12, 7)),  # an ordinary Saturday
    (date(2026, 11, 4), date(2026, 12, 4), date(2026, 12, 4)),  # a working Friday
]


@pytest.mark.parametrize(("appeal", "aim", "end"), AGENCY, ids=lambda d: d.isoformat())
def test_agency_notice_around_holidays(appeal: date, aim: date, end: date) -> None:
    deadline = agency_notice_deadline(appeal, calendar=CAL)
    assert (deadline.aim_date, deadline.due_date) == (aim, end)
    assert deadline.state(_at(end, 23, 59)) != "overdue"
    assert deadline.state(_at(end + timedelta(days=1), 0)) == "overdue"
