"""Section 3 through the store: sealed protection records, the 3-year period and the register
of commission matters with the p18, p19 and p20 deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cases.calendar import work_calendar
from cases.deadlines import open_deadlines
from cases.protection import (
    ProtectedPerson,
    add_matter,
    create_protection,
    invitation_missing,
    matter_deadlines,
    matter_open,
    open_description,
    open_person,
    period,
    protection_of,
    update_matter,
)
from cases.workflow import record_step
from crypto.errors import DecryptionError
from rules.errors import AdalError
from rules.workflow import Step
from store import audit
from store.models import AuditEntry, Protection, ProtectionMatter
from tests.support.instance import DemoInstance
from tests.support.reports import case_of, registered_case, user

RECEIVED = datetime(2026, 3, 20, 9, 3, tzinfo=UTC)
TODAY = date(2026, 6, 1)
IDENTITY = {"full_name": "Асель Нурланова", "position": "бухгалтер", "unit": "бухгалтерия"}
PERSON = ProtectedPerson("Асель Нурланова", "бухгалтер", "бухгалтерия", "тел. внутр. 214")


def _case(
    demo: DemoInstance, received: datetime = RECEIVED, identity: dict[str, str] | None = IDENTITY
) -> str:
    return registered_case(demo, received, identity=identity)


def _protected(demo: DemoInstance, sid: str) -> None:
    with demo.sessions() as s, s.begin():
        create_protection(s, case_of(s, sid), PERSON, user(s, "head"), TODAY)


def test_protection_record_is_sealed_to_heads_and_plain_columns_hold_no_name(
    demo: DemoInstance,
) -> None:
    sid = _case(demo)
    _protected(demo, sid)
    with demo.sessions() as s, s.begin():
        record = protection_of(s, case_of(s, sid))
        add_matter(
            s,
            record,
            kind="transfer",
            body="collegial",
            proposed_on=date(2026, 5, 4),
            actor=user(s, "head"),
            today=TODAY,
            description="Перевод в филиал после сообщения",
        )
    with demo.sessions() as s:
        record = protection_of(s, case_of(s, sid))
        assert record is not None
        assert open_person(record, s, demo.staff_key("head")) == PERSON
        matter = record.matters[0]
        assert open_description(matter, s, demo.staff_key("head")).startswith("Перевод")
        with pytest.raises(DecryptionError):
            open_person(record, s, demo.staff_key("handler"))
        with pytest.raises(DecryptionError):
            open_description(matter, s, demo.staff_key("handler"))
        for row in (record, matter):
            plain = " ".join(str(getattr(row, c.key)) for c in row.__table__.columns)
            assert "Асель" not in plain and "филиал" not in plain
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("protection.%")).order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries] == ["protection.create", "protection.matter_add"]
        assert all("Асель" not in str(e.details) for e in entries)
        assert audit.verify(s).ok


def test_protection_refused_for_anonymous_or_twice(demo: DemoInstance) -> None:
    anonymous = _case(demo, identity=None)
    known = _case(demo)
    _protected(demo, known)
    with demo.sessions() as s:
        for sid, code in [(anonymous, "not_applicable_anonymous"), (known, "exists")]:
            with pytest.raises(AdalError) as caught:
                create_protection(s, case_of(s, sid), PERSON, user(s, "head"), TODAY)
            assert caught.value.code == code
        with pytest.raises(AdalError) as caught:
            create_protection(s, case_of(s, known), ProtectedPerson(" "), user(s, "head"), TODAY)
        assert caught.value.code in ("missing_name", "exists")


@pytest.mark.parametrize(
    ("received", "call", "start", "end"),
    [
        # A report on 29 February 2028: three years on there is no 29 February.
        (datetime(2028, 2, 29, 6, 0, tzinfo=UTC), None, date(2028, 2, 29), date(2031, 2, 28)),
        # The 1424 call (acceptance, Appendix 3 (1)) the next day moves the start.
        (
            datetime(2028, 2, 29, 6, 0, tzinfo=UTC),
            "2028-03-01T09:30",
            date(2028, 3, 1),
            date(2031, 3, 1),
        ),
        # Across a leap day inside the period: still the same calendar date.
        (datetime(2027, 3, 1, 6, 0, tzinfo=UTC), None, date(2027, 3, 1), date(2030, 3, 1)),
        # 23:30 UTC on 28 Feb 2027 is 1 March in Kazakhstan: the local date counts.
        (datetime(2027, 2, 28, 23, 30, tzinfo=UTC), None, date(2027, 3, 1), date(2030, 3, 1)),
    ],
)
def test_three_year_period_is_right_across_leap_years(
    demo: DemoInstance, received: datetime, call: str | None, start: date, end: date
) -> None:
    sid = _case(demo, received)
    if call is not None:
        with demo.sessions() as s, s.begin():
            record_step(
                s,
                case_of(s, sid),
                Step.KNS_NOTIFIED,
                user(s, "handler"),
                received + timedelta(days=1),
                {"call_time": call, "operator": "x"},
            )
    with demo.sessions() as s:
        span = period(case_of(s, sid))
    assert (span.starts_on, span.ends_on) == (start, end)
    assert span.active(end) and not span.active(end + timedelta(days=1))


def _matter(demo: DemoInstance, sid: str, **dates: object) -> int:
    with demo.sessions() as s, s.begin():
        record = protection_of(s, case_of(s, sid))
        matter = add_matter(
            s,
            record,
            kind="dismissal",
            body="collegial",
            proposed_on=date(2026, 4, 1),
            actor=user(s, "head"),
            today=TODAY,
        )
        if dates:
            update_matter(s, matter, actor=user(s, "head"), today=TODAY, **dates)  # type: ignore[arg-type]
        return matter.id


def _deadlines(demo: DemoInstance, matter_id: int) -> dict[str, tuple[date, str]]:
    with demo.sessions() as s:
        matter = s.get(ProtectionMatter, matter_id)
        now = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
        return {
            d.key: (d.due_date, d.state(now)) for d in matter_deadlines(matter, work_calendar(s))
        }


def test_meeting_dates_produce_the_p18_and_p19_deadlines(demo: DemoInstance) -> None:
    sid = _case(demo)
    _protected(demo, sid)
    # Meeting on Thursday 16 April 2026: materials by Monday 13 April (Wed, Tue, Mon).
    matter_id = _matter(
        demo,
        sid,
        agency_invited=True,
        agency_invited_on=date(2026, 4, 8),
        meeting_on=date(2026, 4, 16),
    )
    got = _deadlines(demo, matter_id)
    assert got["commission_materials"][0] == date(2026, 4, 13)
    # No decision yet: the copy is counted from the meeting day (Fri 17, Mon 20, Tue 21).
    assert got["commission_decision_copy"][0] == date(2026, 4, 21)
    with demo.sessions() as s, s.begin():
        update_matter(
            s,
            s.get(ProtectionMatter, matter_id),
            actor=user(s, "head"),
            today=TODAY,
            materials_sent_on=date(2026, 4, 14),
            decided_on=date(2026, 4, 17),
            copy_sent_on=date(2026, 4, 22),
        )
    got = _deadlines(demo, matter_id)
    # Materials one day late; decision on Friday 17 April: copy due Wednesday 22 April, met.
    assert got["commission_materials"] == (date(2026, 4, 13), "met_late")
    assert got["commission_decision_copy"] == (date(2026, 4, 22), "met")
    with demo.sessions() as s:
        matter = s.get(ProtectionMatter, matter_id)
        assert not matter_open(matter) and not invitation_missing(matter)


def test_agency_notice_gives_thirty_calendar_days_for_nda_and_decision(
    demo: DemoInstance,
) -> None:
    sid = _case(demo)
    _protected(demo, sid)
    matter_id = _matter(
        demo,
        sid,
        notice_received_on=date(2026, 4, 15),
        appeal_on=date(2026, 4, 10),
        nda_required=True,
        meeting_on=date(2026, 5, 5),
        decided_on=date(2026, 5, 5),
    )
    # 30th day Sunday 10 May 2026, Monday 11 May off: the term ends on Tuesday 12 May.
    assert _deadlines(demo, matter_id)["agency_notice"] == (date(2026, 5, 12), "overdue")
    with demo.sessions() as s:
        assert matter_open(s.get(ProtectionMatter, matter_id))  # NDA owed, copy not sent
    with demo.sessions() as s, s.begin():
        update_matter(
            s,
            s.get(ProtectionMatter, matter_id),
            actor=user(s, "head"),
            today=TODAY,
            nda_signed_on=date(2026, 5, 6),
            copy_sent_on=date(2026, 5, 7),
        )
    assert _deadlines(demo, matter_id)["agency_notice"] == (date(2026, 5, 12), "met")
    with demo.sessions() as s:
        assert not matter_open(s.get(ProtectionMatter, matter_id))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"meeting_on": date(2026, 4, 16), "decided_on": date(2026, 4, 15)}, "order:decided_on"),
        ({"decided_on": date(2026, 4, 15)}, "order:decided_on"),
        (
            {
                "meeting_on": date(2026, 4, 16),
                "decided_on": date(2026, 4, 16),
                "copy_sent_on": date(2026, 4, 15),
            },
            "order:copy_sent_on",
        ),
        (
            {"meeting_on": date(2026, 4, 16), "materials_sent_on": date(2026, 4, 17)},
            "order:materials_sent_on",
        ),
        ({"agency_invited_on": date(2026, 4, 8)}, "order:agency_invited_on"),
        ({"notice_received_on": date(2026, 4, 15)}, "order:appeal_on"),
        (
            {"appeal_on": date(2026, 4, 20), "notice_received_on": date(2026, 4, 15)},
            "order:appeal_on",
        ),
        ({"nda_signed_on": date(2026, 4, 15)}, "order:nda_signed_on"),
        ({"decided_on": date(2026, 6, 2), "meeting_on": date(2026, 6, 2)}, "in_future:decided_on"),
        ({"owner": "x"}, "unknown_field:owner"),
        ({"agency_invited": "yes"}, "invalid:agency_invited"),
    ],
)
def test_contradictory_matter_dates_are_refused_whole(
    demo: DemoInstance, changes: dict[str, object], code: str
) -> None:
    sid = _case(demo)
    _protected(demo, sid)
    matter_id = _matter(demo, sid)
    with demo.sessions() as s:
        matter = s.get(ProtectionMatter, matter_id)
        with pytest.raises(AdalError) as caught:
            update_matter(s, matter, actor=user(s, "head"), today=TODAY, **changes)  # type: ignore[arg-type]
        assert caught.value.code == code
        assert matter.meeting_on is None and matter.decided_on is None


def test_a_planned_meeting_without_the_agency_is_flagged_and_listed(demo: DemoInstance) -> None:
    sid = _case(demo)
    _protected(demo, sid)
    matter_id = _matter(demo, sid, meeting_on=date(2026, 6, 11))
    with demo.sessions() as s:
        matter = s.get(ProtectionMatter, matter_id)
        assert invitation_missing(matter) and matter_open(matter)
        rows = [
            r
            for r in open_deadlines(s, datetime(2026, 6, 1, 6, 0, tzinfo=UTC))
            if r.matter_id == matter_id
        ]
    assert [(r.key, r.deadline.due_date, r.state) for r in rows] == [
        ("commission_materials", date(2026, 6, 8), "due"),
        ("commission_decision_copy", date(2026, 6, 16), "due"),
    ]
    assert all(r.submission_id == sid for r in rows)


def test_protection_rows_go_with_their_case_only(demo: DemoInstance) -> None:
    sid = _case(demo)
    _protected(demo, sid)
    with demo.sessions() as s:
        assert s.scalar(select(Protection.case_id)) == case_of(s, sid).id
