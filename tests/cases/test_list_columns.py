"""The stored list columns (cases.lists) agree with the rules after every kind of step and after
a calendar change: a property test over random histories recorded through the workflow use case.

The rules' own functions (cases.deadlines: case_deadline_rows, unopened_rows, matter_rows) are
the reference; the test recomputes what they say and compares it with what is stored, column by
column, and the deadline states the lists would show at several moments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import lists
from cases.calendar import add_calendar_day, remove_calendar_day, work_calendar
from cases.deadlines import open_deadlines
from cases.lists import catch_up, list_values, recompute, stored_row, stored_rows
from cases.workflow import record_step
from rules.clock import to_local, utcnow
from rules.errors import AdalError
from rules.workflow import HEAD_STEPS, Step
from store.models import (
    CalendarDay,
    Case,
    Protection,
    ProtectionMatter,
    RecipientKey,
    Submission,
    User,
)
from tests.support.instance import DemoInstance, demo_org_id
from tests.support.reports import registered_case, store_report, user

START = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # a Monday, 10:00 in Kazakhstan
IDENTITY = {"full_name": "Асель Нурланова", "position": "бухгалтер", "unit": "бухгалтерия"}
_COMPARED = (
    "submission_id",
    "matter_id",
    "key",
    "label",
    "kind",
    "due",
    "due_date",
    "warn_from",
    "aim_date",
    "met_at",
    "exact",
    "late_at",
    "soon_at",
    "outcome",
    "listed",
)


def _local(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def _details(step: Step, at: datetime) -> dict[str, str]:
    before = at - timedelta(minutes=10)
    return {
        Step.KNS_NOTIFIED: {"call_time": _local(before), "operator": "Оператор 12"},
        Step.CONFIRMATION_SENT: {
            "outgoing_number": "12-3/45",
            "outgoing_date": to_local(at).date().isoformat(),
        },
        Step.NDA_SIGNED: {"signed_at": _local(before)},
        Step.NDA_DECLINED: {"basis": "письменное заявление"},
        Step.CLOSED_WITHOUT_DECISION: {"reason": "transferred", "transferred_to": "прокуратура"},
    }.get(step, {})


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return value


def _check(session: Session, submission_id: str) -> None:
    """What is stored equals what the rules compute now, and so do the states."""
    submission = session.get(Submission, submission_id)
    assert submission is not None
    case = session.scalar(select(Case).where(Case.submission_id == submission_id))
    matters: list[ProtectionMatter] = []
    if case is not None:
        session.refresh(case, ["events"])
        matters = list(
            session.scalars(
                select(ProtectionMatter)
                .join(Protection, Protection.id == ProtectionMatter.protection_id)
                .where(Protection.case_id == case.id)
                .order_by(ProtectionMatter.id)
            )
        )
    expected = list_values(submission, case, matters, work_calendar(session), utcnow())
    entry, rows = stored_rows(session, submission_id)
    assert entry is not None
    for name, value in expected.entry.items():
        assert _norm(getattr(entry, name)) == _norm(value), name
    got = sorted((tuple(_norm(getattr(r, c)) for c in _COMPARED) for r in rows), key=repr)
    want = sorted((tuple(_norm(d[c]) for c in _COMPARED) for d in expected.deadlines), key=repr)
    assert got == want
    for now in (START, START + timedelta(days=2), START + timedelta(days=9), utcnow()):
        states = sorted((r.key, r.matter_id, stored_row(r, now).state) for r in rows)
        computed = sorted(
            (d["key"], d["matter_id"], stored_row(_as_row(d), now).state)
            for d in expected.deadlines
        )
        assert states == computed


def _as_row(values: dict[str, Any]) -> Any:
    from store.models import ListDeadline

    return ListDeadline(**values)


def _toggle_calendar(session: Session, day: date) -> None:
    admin = user(session, "admin")
    if session.get(CalendarDay, day) is not None:
        remove_calendar_day(session, day, admin)
    elif work_calendar(session).is_working_day(day):
        add_calendar_day(session, day, "day_off", "приказ", admin)
    else:
        add_calendar_day(session, day, "working_day", "приказ", admin)
    recompute(session)  # as the calendar page does after every change


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(list(Step)[1:]), st.integers(min_value=1, max_value=120)),
        st.tuples(st.just("calendar"), st.integers(min_value=0, max_value=20)),
    ),
    max_size=7,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    offset=st.integers(min_value=0, max_value=72),
    known=st.booleans(),
    nda=st.booleans(),
    actions=ACTIONS,
)
def test_stored_columns_follow_every_step_and_calendar_change(
    demo: DemoInstance, offset: int, known: bool, nda: bool, actions: list[tuple[Any, int]]
) -> None:
    received = START + timedelta(hours=offset)
    sid = registered_case(demo, received, identity=IDENTITY if known else None, nda_intended=nda)
    with demo.sessions() as s:
        _check(s, sid)
    at = received + timedelta(hours=1)
    for action, amount in actions:
        with demo.sessions() as s, s.begin():
            if action == "calendar":
                _toggle_calendar(s, received.date() + timedelta(days=amount))
            else:
                at += timedelta(hours=amount)
                case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
                actor = user(s, "head" if action in HEAD_STEPS else "handler")
                try:
                    with s.begin_nested():
                        record_step(s, case, action, actor, at, _details(action, at))
                except AdalError:
                    pass  # an out-of-order step is refused before anything is stored
        with demo.sessions() as s:
            _check(s, sid)


def test_an_unopened_report_is_listed_from_its_receipt_date(demo: DemoInstance) -> None:
    with demo.sessions() as s, s.begin():
        sid = store_report(s, START, files=0, messages=0).submission_id
    with demo.sessions() as s, s.begin():
        assert catch_up(s) == 1
        assert catch_up(s) == 0
    with demo.sessions() as s:
        _check(s, sid)
        entry, rows = stored_rows(s, sid)
        assert entry is not None and entry.status == "new"
        assert {r.key for r in rows} == {"kns_notification", "written_confirmation"}
    with demo.sessions() as s, s.begin():
        _toggle_calendar(s, date(2026, 11, 4))
    with demo.sessions() as s:
        _check(s, sid)


def test_pages_of_open_deadlines_follow_the_rules_order(
    demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paging segment by segment (overdue, due soon, due) gives exactly the order of
    cases.deadlines.open_deadlines, with every page boundary inside and between segments."""
    now = utcnow()
    for days in (40, 9, 3, 1, 0):
        with demo.sessions() as s, s.begin():
            store_report(s, now - timedelta(days=days), files=0, messages=0)
        registered_case(demo, now - timedelta(days=days, hours=1))
    monkeypatch.setattr(lists, "PER_PAGE", 3)
    with demo.sessions() as s, s.begin():
        catch_up(s)
        key_id = s.scalars(
            select(RecipientKey.key_id)
            .join(User, User.id == RecipientKey.user_id)
            .where(User.role == "handler", RecipientKey.active.is_(True))
        ).one()
        expected = [(r.submission_id, r.key, r.state) for r in open_deadlines(s, now)]
        got: list[tuple[str, str, str]] = []
        page = 1
        while True:
            found = lists.open_deadlines_page(s, key_id, now, org_id=demo_org_id(s), page=page)
            got += [(r.submission_id, r.key, r.state) for r in found.rows]
            if not found.more:
                break
            page += 1
        assert {state for _s, _k, state in expected} >= {"overdue", "due_soon"}
        # Equal moments may come in either order; states and the sequence of moments may not.
        assert sorted(got) == sorted(expected)
        assert [state for *_r, state in got] == [state for *_r, state in expected]
        by_deadline = []
        page = 1
        while True:
            inbox = lists.inbox_page(
                s, key_id, now, lists.InboxFilters(sort="deadline"), page, org_id=demo_org_id(s)
            )
            by_deadline += [row.submission_id for row in inbox.rows]
            if not inbox.more:
                break
            page += 1
        assert len(by_deadline) == len(set(by_deadline)) == 10
