"""Deadlines through the store, on the real 2026 calendar plus the admin's decree days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cases.calendar import (
    add_calendar_day,
    calendar_days,
    remove_calendar_day,
    work_calendar,
)
from cases.deadlines import case_deadline_rows, open_deadlines
from cases.workflow import record_step
from rules.clock import end_of_local_day
from rules.errors import AdalError
from rules.workflow import Step
from store import audit
from store.models import AuditEntry
from tests.support.instance import DemoInstance
from tests.support.reports import case_of, registered_case, user

FRIDAY = datetime(2026, 3, 20, 9, 3, 27, tzinfo=UTC)  # 14:03:27 in Kazakhstan, before Nauryz
IDENTITY = {"full_name": "Асель Нурланова", "position": "бухгалтер", "unit": "бухгалтерия"}


def _new_case(
    demo: DemoInstance,
    received: datetime = FRIDAY,
    *,
    identity: dict[str, str] | None = None,
    nda_intended: bool = False,
) -> str:
    return registered_case(demo, received, identity=identity, nda_intended=nda_intended)


def _due(demo: DemoInstance, sid: str, key: str) -> date | None:
    with demo.sessions() as s:
        rows = case_deadline_rows(case_of(s, sid), work_calendar(s), FRIDAY)
        (row,) = [r for r in rows if r.key == key]
        return row.deadline.due_date


def test_written_confirmation_moves_with_an_admin_working_saturday(demo: DemoInstance) -> None:
    sid = _new_case(demo)
    # 21-22 March weekend, 23-25 March Nauryz (with the carried-over day): 26, 27, 30 March.
    assert _due(demo, sid, "written_confirmation") == date(2026, 3, 30)
    assert _due(demo, sid, "kns_notification") == date(2026, 3, 20)
    with demo.sessions() as s, s.begin():
        add_calendar_day(
            s, date(2026, 3, 28), "working_day", "decree: Saturday worked", user(s, "admin")
        )
    assert _due(demo, sid, "written_confirmation") == date(2026, 3, 28)
    with demo.sessions() as s, s.begin():
        remove_calendar_day(s, date(2026, 3, 28), user(s, "admin"))
        add_calendar_day(s, date(2026, 3, 27), "day_off", "decree: bridge day", user(s, "admin"))
    assert _due(demo, sid, "written_confirmation") == date(2026, 3, 31)
    with demo.sessions() as s:
        actions = s.execute(
            select(AuditEntry.action, AuditEntry.target)
            .where(AuditEntry.action.like("calendar.%"))
            .order_by(AuditEntry.id)
        ).all()
        assert actions == [
            ("calendar.set", "2026-03-28"),
            ("calendar.remove", "2026-03-28"),
            ("calendar.set", "2026-03-27"),
        ]
        assert audit.verify(s).ok


@pytest.mark.parametrize(
    ("day", "kind", "code"),
    [
        (date(2026, 3, 31), "working_day", "no_effect"),  # an ordinary Tuesday
        (date(2026, 3, 29), "day_off", "no_effect"),  # a Sunday
        (date(2026, 3, 23), "day_off", "no_effect"),  # Nauryz is already off
        (date(2026, 3, 28), "holiday", "bad_kind"),
    ],
)
def test_calendar_entries_that_change_nothing_are_refused(
    demo: DemoInstance, day: date, kind: str, code: str
) -> None:
    with demo.sessions() as s:
        with pytest.raises(AdalError) as caught:
            add_calendar_day(s, day, kind, "", user(s, "admin"))
        assert caught.value.code == code
        s.rollback()
        assert calendar_days(s) == []


def test_a_day_has_one_entry_corrected_by_removing_it(demo: DemoInstance) -> None:
    with demo.sessions() as s, s.begin():
        add_calendar_day(s, date(2026, 3, 23), "working_day", "typo", user(s, "admin"))
        for kind in ("working_day", "day_off"):
            with pytest.raises(AdalError) as caught:
                add_calendar_day(s, date(2026, 3, 23), kind, "", user(s, "admin"))
            assert caught.value.code == "exists"
        remove_calendar_day(s, date(2026, 3, 23), user(s, "admin"))
        add_calendar_day(s, date(2026, 3, 28), "working_day", "decree", user(s, "admin"))
        with pytest.raises(AdalError) as caught:
            remove_calendar_day(s, date(2026, 3, 24), user(s, "admin"))
        assert caught.value.code == "not_found"
    with demo.sessions() as s:
        (row,) = calendar_days(s, 2026)
        assert (row.day, row.kind, row.note) == (date(2026, 3, 28), "working_day", "decree")
        assert calendar_days(s, 2027) == []


def test_nda_deadline_in_lists_is_early_and_exact_on_the_case_page(demo: DemoInstance) -> None:
    sid = _new_case(demo, identity=IDENTITY, nda_intended=True)
    with demo.sessions() as s:
        case = case_of(s, sid)
        cal = work_calendar(s)
        (listed,) = [r for r in case_deadline_rows(case, cal, FRIDAY) if r.key == "nda"]
        (exact,) = [
            r for r in case_deadline_rows(case, cal, FRIDAY, received_at=FRIDAY) if r.key == "nda"
        ]
    # Without the sealed time: the end of the receipt day, the earliest the deadline can be.
    assert not listed.exact
    assert listed.deadline.due == end_of_local_day(date(2026, 3, 20))
    assert exact.exact and exact.deadline.due == FRIDAY + timedelta(hours=24)
    assert listed.deadline.due <= exact.deadline.due


def test_nda_signed_next_morning_counts_as_met_in_lists(demo: DemoInstance) -> None:
    """Signed 20 hours after a 14:03 report: on time, though after the conservative bound."""
    sid = _new_case(demo, identity=IDENTITY, nda_intended=True)
    signed = {"signed_at": "2026-03-21T10:00"}
    with demo.sessions() as s, s.begin():
        record_step(
            s,
            case_of(s, sid),
            Step.NDA_SIGNED,
            user(s, "head"),
            FRIDAY + timedelta(hours=21),
            signed,
            received_at=FRIDAY,
        )
    with demo.sessions() as s:
        case = case_of(s, sid)
        assert case.events[-1].details["nda_deadline"] == "met"
        (row,) = [
            r
            for r in case_deadline_rows(case, work_calendar(s), FRIDAY + timedelta(days=3))
            if r.key == "nda"
        ]
    assert row.exact and row.state == "met"


def test_nda_verdict_without_the_exact_time_only_when_the_date_decides(
    demo: DemoInstance,
) -> None:
    early = _new_case(demo, identity=IDENTITY, nda_intended=True)
    late = _new_case(demo, identity=IDENTITY, nda_intended=True)
    unsure = _new_case(demo, identity=IDENTITY, nda_intended=True)
    cases = [
        (early, "2026-03-20T18:00", FRIDAY + timedelta(hours=5), "met"),  # same day
        (late, "2026-03-22T09:00", FRIDAY + timedelta(days=2), "late"),  # > 24 h after 24:00
        (unsure, "2026-03-21T12:00", FRIDAY + timedelta(days=1), None),  # depends on the time
    ]
    for sid, signed_at, at, _verdict in cases:
        with demo.sessions() as s, s.begin():
            record_step(
                s, case_of(s, sid), Step.NDA_SIGNED, user(s, "head"), at, {"signed_at": signed_at}
            )
    with demo.sessions() as s:
        for sid, _signed, _at, verdict in cases:
            assert case_of(s, sid).events[-1].details.get("nda_deadline") == verdict


def test_open_deadlines_lists_what_is_not_done_most_urgent_first(demo: DemoInstance) -> None:
    older = _new_case(demo, FRIDAY - timedelta(days=14))
    newer = _new_case(demo)
    with demo.sessions() as s, s.begin():
        called = {"call_time": "2026-03-20T14:30", "operator": "x"}
        record_step(
            s,
            case_of(s, newer),
            Step.KNS_NOTIFIED,
            user(s, "handler"),
            FRIDAY + timedelta(hours=1),
            called,
        )
    with demo.sessions() as s:
        rows = open_deadlines(s, FRIDAY + timedelta(hours=2))
    listed = [(r.submission_id, r.key, r.state) for r in rows]
    assert listed == [
        (older, "kns_notification", "overdue"),
        (older, "written_confirmation", "overdue"),
        (newer, "written_confirmation", "due"),
    ]
