"""Deadlines of Sections 2 and 3 on the real 2026 calendar."""

from datetime import UTC, date, datetime, timedelta

import pytest

from rules.calendar import CalendarOverrides, WorkCalendar
from rules.clock import KZ_TZ
from rules.deadlines import (
    Deadline,
    DeadlineStats,
    agency_notice_deadline,
    case_deadlines,
    case_protection_end,
    commission_deadlines,
    deadline_stats,
    protection_end,
)
from rules.workflow import CaseFacts, Event, Step, apply

CAL = WorkCalendar()


def kz(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Kazakhstan wall-clock time as the aware UTC instant the rules receive."""
    return datetime(year, month, day, hour, minute, tzinfo=KZ_TZ).astimezone(UTC)


def kns_called(case: CaseFacts, events: list[Event], at: datetime, call_time: str) -> Event:
    """The KNS_NOTIFIED step recorded at `at` for a call made at `call_time` (local)."""
    details = {"call_time": call_time, "operator": "A"}
    return apply(case, events, Step.KNS_NOTIFIED, at, "h", details)


def facts(received: datetime, *, anonymous: bool = False, nda: bool = False) -> CaseFacts:
    return CaseFacts(received_at=received, anonymous=anonymous, nda_intended=nda)


def by_key(deadlines: list[Deadline]) -> dict[str, Deadline]:
    return {d.key: d for d in deadlines}


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (kz(2026, 3, 20, 10, 0), date(2026, 3, 30)),  # Friday before Nauryz
        (kz(2026, 5, 6, 10, 0), date(2026, 5, 13)),  # 7 May, 9 May (11 May observed)
        (kz(2026, 12, 15, 10, 0), date(2026, 12, 21)),  # 16 December
        # 01:00 on the 20th in Kazakhstan is still the 19th in UTC: the local date counts.
        (datetime(2026, 3, 19, 20, 0, tzinfo=UTC), date(2026, 3, 30)),
    ],
)
def test_written_confirmation_due_date(received: datetime, due: date) -> None:
    deadline = by_key(case_deadlines(facts(received), [], CAL))["written_confirmation"]
    assert deadline.due_date == due
    assert deadline.kind == "working"
    assert deadline.basis == "p9"


def test_admin_transfer_changes_written_confirmation() -> None:
    received = kz(2026, 3, 20, 10, 0)
    worked_saturday = WorkCalendar(
        CalendarOverrides(extra_working_days=frozenset({date(2026, 3, 28)}))
    )
    bridge_day_off = WorkCalendar(CalendarOverrides(extra_days_off=frozenset({date(2026, 3, 26)})))
    due = {
        name: by_key(case_deadlines(facts(received), [], cal))["written_confirmation"].due_date
        for name, cal in [("plain", CAL), ("saturday", worked_saturday), ("off", bridge_day_off)]
    }
    assert due == {
        "plain": date(2026, 3, 30),
        "saturday": date(2026, 3, 28),
        "off": date(2026, 3, 31),
    }


def test_nda_is_24_calendar_hours_even_over_a_weekend() -> None:
    received = kz(2026, 4, 10, 18, 0)  # Friday evening
    deadline = by_key(case_deadlines(facts(received, nda=True), [], CAL))["nda"]
    assert deadline.due == kz(2026, 4, 11, 18, 0)  # Saturday, not Monday
    assert deadline.kind == "calendar"
    assert deadline.state(kz(2026, 4, 11, 18, 0)) == "due_soon"
    assert deadline.state(kz(2026, 4, 11, 18, 1)) == "overdue"


def test_nda_counts_from_a_later_intention() -> None:
    received = kz(2026, 4, 10, 9, 0)
    case = facts(received)
    events = [apply(case, [], Step.REGISTERED, received, "h")]
    assert "nda" not in by_key(case_deadlines(case, events, CAL))
    said_so = kz(2026, 4, 13, 11, 0)
    events.append(apply(case, events, Step.NDA_INTENTION, said_so, "h"))
    assert by_key(case_deadlines(case, events, CAL))["nda"].due == said_so + timedelta(hours=24)


def test_nda_met_by_signing_time_not_entry_time() -> None:
    received = kz(2026, 4, 10, 9, 0)
    case = facts(received, nda=True)
    events = [apply(case, [], Step.REGISTERED, received, "h")]
    # Signed on time on Friday, typed into the system on Monday.
    events.append(
        apply(
            case,
            events,
            Step.NDA_SIGNED,
            kz(2026, 4, 13, 9, 0),
            "h",
            {"signed_at": "2026-04-10T17:00"},
        )
    )
    nda = by_key(case_deadlines(case, events, CAL))["nda"]
    assert nda.met_at == kz(2026, 4, 10, 17, 0)
    assert nda.state(kz(2026, 4, 20, 0, 0)) == "met"


def test_anonymous_case_has_no_nda_or_rights_deadline() -> None:
    received = kz(2026, 3, 20, 10, 0)
    keys = [d.key for d in case_deadlines(facts(received, anonymous=True, nda=True), [], CAL)]
    assert keys == ["kns_notification", "written_confirmation"]


def test_known_case_deadlines_sorted_by_due() -> None:
    received = kz(2026, 3, 20, 10, 0)
    keys = [d.key for d in case_deadlines(facts(received, nda=True), [], CAL)]
    assert keys == ["kns_notification", "nda", "written_confirmation"]


def test_kns_notification_is_due_by_the_end_of_the_receipt_day() -> None:
    received = kz(2026, 3, 21, 15, 0)  # Saturday and Nauryz: "immediately" is not shifted
    case = facts(received, anonymous=True)
    deadline = by_key(case_deadlines(case, [], CAL))["kns_notification"]
    assert deadline.due_date == date(2026, 3, 21)
    assert deadline.state(kz(2026, 3, 21, 15, 1)) == "due_soon"
    assert deadline.state(kz(2026, 3, 21, 23, 59)) == "due_soon"
    assert deadline.state(kz(2026, 3, 22, 0, 0)) == "overdue"

    events = [apply(case, [], Step.REGISTERED, received, "h")]
    late_call = {"call_time": "2026-03-22T09:00", "operator": "A"}
    late = apply(case, events, Step.KNS_NOTIFIED, kz(2026, 3, 22, 9, 5), "h", late_call)

    def kns_state(notified: Event) -> str:
        deadline = by_key(case_deadlines(case, [*events, notified], CAL))["kns_notification"]
        return deadline.state(kz(2026, 3, 23, 0, 0))

    assert kns_state(late) == "met_late"
    same_day = {"call_time": "2026-03-21T23:40", "call_reference": "R-1"}
    # Recorded after midnight, but the call itself was on the day.
    ok = apply(case, events, Step.KNS_NOTIFIED, kz(2026, 3, 22, 8, 0), "h", same_day)
    assert kns_state(ok) == "met"


def test_written_confirmation_judged_on_the_letter_date() -> None:
    received = kz(2026, 3, 20, 10, 0)
    case = facts(received, anonymous=True)
    events: list[Event] = [apply(case, [], Step.REGISTERED, received, "h")]
    events.append(kns_called(case, events, kz(2026, 3, 20, 10, 30), "2026-03-20T10:20"))

    def state(letter_date: str) -> str:
        letter = apply(
            case,
            events,
            Step.CONFIRMATION_SENT,
            kz(2026, 4, 2, 9, 0),
            "h",
            {"outgoing_number": "7", "outgoing_date": letter_date},
        )
        deadline = by_key(case_deadlines(case, [*events, letter], CAL))["written_confirmation"]
        return deadline.state(kz(2026, 4, 2, 9, 0))

    assert state("2026-03-30") == "met"
    assert state("2026-03-31") == "met_late"


def test_day_deadline_states_around_a_weekend() -> None:
    deadline = by_key(case_deadlines(facts(kz(2026, 3, 20, 10, 0)), [], CAL))[
        "written_confirmation"
    ]
    assert deadline.due_date == date(2026, 3, 30)  # Monday
    assert deadline.warn_from == date(2026, 3, 27)  # the last working day before it
    assert deadline.state(kz(2026, 3, 26, 23, 59)) == "due"
    assert deadline.state(kz(2026, 3, 27, 0, 0)) == "due_soon"
    assert deadline.state(kz(2026, 3, 28, 12, 0)) == "due_soon"
    assert deadline.state(kz(2026, 3, 30, 23, 59)) == "due_soon"
    assert deadline.state(kz(2026, 3, 31, 0, 0)) == "overdue"


def test_hour_deadline_states() -> None:
    due = kz(2026, 4, 10, 12, 0)
    deadline = Deadline(key="x", label="X", kind="calendar", due=due)
    assert deadline.state(due - timedelta(hours=25)) == "due"
    assert deadline.state(due - timedelta(hours=24)) == "due_soon"
    assert deadline.state(due) == "due_soon"
    assert deadline.state(due + timedelta(seconds=1)) == "overdue"


def test_deadline_needs_exactly_one_due() -> None:
    with pytest.raises(ValueError):
        Deadline(key="x", label="X", kind="calendar")
    with pytest.raises(ValueError):
        Deadline(
            key="x", label="X", kind="calendar", due=kz(2026, 1, 5, 9, 0), due_date=date(2026, 1, 5)
        )
    with pytest.raises(ValueError):
        Deadline(key="x", label="X", kind="calendar", due=datetime(2026, 1, 5, 9))


def test_agency_notice_is_30_calendar_days_to_aim_for() -> None:
    deadline = agency_notice_deadline(date(2026, 4, 10))
    # 10 May 2026 is a Sunday and 11 May the day off for Victory Day (issue 11 item 9).
    assert (deadline.aim_date, deadline.due_date) == (date(2026, 5, 10), date(2026, 5, 12))
    assert deadline.kind == "calendar"
    assert deadline.warn_from == date(2026, 5, 8)
    assert deadline.state(kz(2026, 5, 7, 12, 0)) == "due"
    assert deadline.state(kz(2026, 5, 9, 12, 0)) == "due_soon"
    assert deadline.state(kz(2026, 5, 12, 23, 0)) == "due_soon"
    assert deadline.state(kz(2026, 5, 13, 0, 0)) == "overdue"
    met = agency_notice_deadline(date(2026, 4, 10), met_at=kz(2026, 5, 10, 20, 0))
    assert met.state(kz(2026, 6, 1, 0, 0)) == "met"


def test_agency_notice_across_new_year_and_february() -> None:
    assert agency_notice_deadline(date(2026, 12, 15)).due_date == date(2027, 1, 14)
    assert agency_notice_deadline(date(2028, 2, 1)).due_date == date(2028, 3, 2)  # leap year


@pytest.mark.parametrize(
    ("report", "end"),
    [
        (date(2026, 3, 20), date(2029, 3, 20)),
        (date(2028, 2, 29), date(2031, 2, 28)),  # no 29 February in 2031
        (date(2027, 3, 1), date(2030, 3, 1)),
        (date(2025, 2, 28), date(2028, 2, 28)),  # not the leap day
        (date(2025, 3, 1), date(2028, 3, 1)),
        (date(2026, 12, 31), date(2029, 12, 31)),
    ],
)
def test_protection_end(report: date, end: date) -> None:
    assert protection_end(report) == end


def test_case_protection_counts_from_the_1424_call() -> None:
    received = kz(2026, 3, 20, 23, 30)
    case = facts(received, anonymous=True)
    events = [apply(case, [], Step.REGISTERED, received, "h")]
    assert case_protection_end(case, events) == date(2029, 3, 20)
    events.append(kns_called(case, events, kz(2026, 3, 21, 0, 20), "2026-03-21T00:10"))
    assert case_protection_end(case, events) == date(2029, 3, 21)


@pytest.mark.parametrize(
    ("meeting", "decided", "materials", "copy"),
    [
        # Thursday meeting: materials by Monday; decision at the meeting → Tue next week.
        (date(2026, 4, 16), None, date(2026, 4, 13), date(2026, 4, 21)),
        # Meeting after Nauryz: back over 23–25 March and the weekend to 18 March.
        (date(2026, 3, 26), None, date(2026, 3, 18), date(2026, 3, 31)),
        # Decision the day after a Thursday meeting, on the eve of Nauryz.
        (date(2026, 3, 19), date(2026, 3, 20), date(2026, 3, 16), date(2026, 3, 30)),
        # May: back over 11 May (observed), the weekend and 7 May.
        (date(2026, 5, 12), None, date(2026, 5, 5), date(2026, 5, 15)),
        # December: decision the day before Independence Day.
        (date(2026, 12, 15), None, date(2026, 12, 10), date(2026, 12, 21)),
    ],
)
def test_commission_deadlines(
    meeting: date, decided: date | None, materials: date, copy: date
) -> None:
    result = by_key(commission_deadlines(meeting, decided, CAL))
    assert result["commission_materials"].due_date == materials
    assert result["commission_materials"].basis == "p18"
    assert result["commission_decision_copy"].due_date == copy
    assert result["commission_decision_copy"].basis == "p19"


def test_commission_transfer_and_met() -> None:
    cal = WorkCalendar(CalendarOverrides(extra_days_off=frozenset({date(2026, 4, 13)})))
    result = by_key(
        commission_deadlines(date(2026, 4, 16), None, cal, materials_sent_at=kz(2026, 4, 10, 17, 0))
    )
    assert result["commission_materials"].due_date == date(2026, 4, 10)
    assert result["commission_materials"].state(kz(2026, 4, 16, 9, 0)) == "met"


def test_commission_cannot_decide_before_meeting() -> None:
    with pytest.raises(ValueError):
        commission_deadlines(date(2026, 4, 16), date(2026, 4, 15), CAL)


def test_deadline_stats() -> None:
    now = kz(2026, 4, 1, 12, 0)
    deadlines = [
        Deadline(
            key="a",
            label="A",
            kind="calendar",
            due_date=date(2026, 3, 30),
            met_at=kz(2026, 3, 30, 9, 0),
        ),
        Deadline(
            key="b",
            label="B",
            kind="calendar",
            due_date=date(2026, 3, 30),
            met_at=kz(2026, 3, 31, 9, 0),
        ),
        Deadline(key="c", label="C", kind="calendar", due_date=date(2026, 3, 30)),
        Deadline(key="d", label="D", kind="calendar", due_date=date(2026, 4, 30)),
        Deadline(key="e", label="E", kind="calendar", due=now + timedelta(hours=1)),
    ]
    stats = deadline_stats(deadlines, now)
    assert stats == DeadlineStats(met=1, met_late=1, overdue=1, open=2)
    assert stats.missed == 2
    assert stats.total == 5
    assert deadline_stats([]) == DeadlineStats()
