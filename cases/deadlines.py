"""Deadlines of stored cases and protection matters, for the case page, the dashboard and the
statistics, computed from plain columns and events only: nothing is decrypted here.

Each deadline comes as a :class:`DeadlineRow` with its state at ``now`` and an ``exact`` flag.
Reports nobody has opened yet have no case, but their duties already run: p8 (the 1424 call)
is due on the receipt day and p9 (the written confirmation) counts from it. Their rows come from
the receipt date alone (:func:`unopened_rows`), counted from the start of the receipt day: the
exact time is sealed, and the day is the conservative reading (both are day deadlines, so the
date decides them anyway). p7 and p12 turn on what the sealed report says (an NDA intention, an
identity) and appear once someone opens it.

``exact`` is False for the one deadline that turns on the sealed receipt time, the NDA's 24 hours
counted from the report (p7), when the caller did not pass the decrypted ``received_at``: its
``due`` is then the earliest the real deadline can be (the end of the receipt day), see
cases.facts. The case page, which has decrypted the report, passes ``received_at`` and gets
exact rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cases.calendar import work_calendar
from cases.facts import NDA_VERDICT, case_events, case_facts
from rules.calendar import WorkCalendar
from rules.clock import require_aware, start_of_local_day
from rules.deadlines import (
    Deadline,
    DeadlineState,
    agency_notice_deadline,
    case_deadlines,
    commission_deadlines,
)
from rules.workflow import CaseFacts, Event, Step
from store.models import Case, Protection, ProtectionMatter, Submission

# p8 and p9: the duties that run from the receipt date before anyone has read the report.
UNOPENED_KEYS = ("kns_notification", "written_confirmation")
OPEN_STATES: tuple[DeadlineState, ...] = ("overdue", "due_soon", "due")
_STATE_ORDER = {state: i for i, state in enumerate((*OPEN_STATES, "met_late", "met"))}


@dataclass(frozen=True)
class DeadlineRow:
    submission_id: str
    deadline: Deadline
    state: DeadlineState
    exact: bool = True
    matter_id: int | None = None  # set for the commission / agency deadlines (Section 3)

    @property
    def key(self) -> str:
        return self.deadline.key

    @property
    def moment(self) -> datetime:
        """When it falls due, as an instant (a day deadline at the end of its day)."""
        if self.deadline.due is not None:
            return self.deadline.due
        assert self.deadline.due_date is not None
        return start_of_local_day(self.deadline.due_date + timedelta(days=1))


def _nda_from_report(case: Case, events: Sequence[Event]) -> bool:
    """The NDA clock starts at the (sealed) receipt time, not at a recorded intention."""
    return case.nda_intended and not any(e.kind == Step.NDA_INTENTION for e in events)


def _settled_verdict(events: Sequence[Event]) -> str | None:
    """The stored verdict on the NDA deadline. The latest settling event that carries one was
    judged on the fullest history (rules.deadlines takes the earliest settling moment, which a
    later entry can move back), so it wins."""
    verdicts = [
        e.details[NDA_VERDICT]
        for e in events
        if e.kind in (Step.NDA_SIGNED, Step.NDA_DECLINED) and NDA_VERDICT in e.details
    ]
    return verdicts[-1] if verdicts else None


def case_deadline_rows(
    case: Case, calendar: WorkCalendar, now: datetime, received_at: datetime | None = None
) -> list[DeadlineRow]:
    """Every Section 2 deadline of one case (met ones included), in due order."""
    require_aware(now, "now")
    events = case_events(case)
    rows = []
    for deadline in case_deadlines(case_facts(case, received_at), events, calendar):
        exact = True
        if deadline.key == "nda" and received_at is None and _nda_from_report(case, events):
            deadline, exact = _dated_nda(deadline, events)
        rows.append(DeadlineRow(case.submission_id, deadline, deadline.state(now), exact))
    return rows


def _dated_nda(deadline: Deadline, events: Sequence[Event]) -> tuple[Deadline, bool]:
    """The NDA deadline from dated facts: its due is the earliest possible. A verdict stored
    when the NDA was settled with the exact time makes the outcome exact again."""
    verdict = _settled_verdict(events)
    if deadline.met_at is None or verdict is None:
        return deadline, False
    assert deadline.due is not None
    if verdict == "met" and deadline.met_at > deadline.due:
        # Known to be met, so the real due is at least the settling moment: a valid bound.
        deadline = replace(deadline, due=deadline.met_at)
    return deadline, True


def unopened_rows(
    submission: Submission, calendar: WorkCalendar, now: datetime
) -> list[DeadlineRow]:
    """p8 and p9 of a report nobody has opened, from its receipt date only (nothing is
    decrypted): received at the start of its day, nothing recorded yet."""
    require_aware(now, "now")
    facts = CaseFacts(
        received_at=start_of_local_day(submission.received_on), anonymous=True, nda_intended=False
    )
    return [
        DeadlineRow(submission.id, d, d.state(now))
        for d in case_deadlines(facts, [], calendar)
        if d.key in UNOPENED_KEYS
    ]


def _unopened(session: Session) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .outerjoin(Case, Case.submission_id == Submission.id)
            .where(Case.id.is_(None))
            .order_by(Submission.received_on, Submission.id)
        )
    )


def _start(day: date | None) -> datetime | None:
    return start_of_local_day(day) if day is not None else None


def matter_deadlines(matter: ProtectionMatter, calendar: WorkCalendar) -> list[Deadline]:
    """p18 and p19 once the meeting is set; p20 once the appeal date is known.

    p20 is met when the decision is taken and, if owed, the NDA is signed (the later of the
    two): the 30 days bind both.
    """
    deadlines: list[Deadline] = []
    if matter.meeting_on is not None:
        deadlines += commission_deadlines(
            matter.meeting_on,
            matter.decided_on,
            calendar,
            materials_sent_at=_start(matter.materials_sent_on),
            copy_sent_at=_start(matter.copy_sent_on),
        )
    if matter.appeal_on is not None:
        done: date | None = matter.decided_on
        if matter.nda_required:
            done = (
                None
                if done is None or matter.nda_signed_on is None
                else max(done, matter.nda_signed_on)
            )
        deadlines.append(
            agency_notice_deadline(matter.appeal_on, calendar=calendar, met_at=_start(done))
        )
    return deadlines


def matter_rows(
    matter: ProtectionMatter, submission_id: str, calendar: WorkCalendar, now: datetime
) -> list[DeadlineRow]:
    return [
        DeadlineRow(submission_id, d, d.state(now), True, matter.id)
        for d in matter_deadlines(matter, calendar)
    ]


def _open_cases(session: Session) -> list[Case]:
    query = (
        select(Case)
        .options(selectinload(Case.events), selectinload(Case.submission))
        .where(Case.closed_at.is_(None))
        .order_by(Case.id)
    )
    return list(session.scalars(query))


def _matters(session: Session) -> list[tuple[ProtectionMatter, str]]:
    rows = session.execute(
        select(ProtectionMatter, Submission.id)
        .join(Protection, Protection.id == ProtectionMatter.protection_id)
        .join(Case, Case.id == Protection.case_id)
        .join(Submission, Submission.id == Case.submission_id)
        .order_by(ProtectionMatter.id)
    )
    return [(matter, submission_id) for matter, submission_id in rows]


def _sorted(rows: Iterable[DeadlineRow]) -> list[DeadlineRow]:
    return sorted(rows, key=lambda r: (_STATE_ORDER[r.state], r.moment))


def open_deadlines(
    session: Session, now: datetime, calendar: WorkCalendar | None = None
) -> list[DeadlineRow]:
    """Everything not yet done, most urgent first: overdue, due soon, due; then by due time.

    Section 2 deadlines of open cases and of reports nobody has opened yet (p8, p9), and the
    commission / agency deadlines (Section 3) of
    every protected reporter, closed case or not: protection outlives the case's handling.
    """
    rows = _deadline_rows(session, now, calendar)
    return _sorted(row for row in rows if row.state in OPEN_STATES)


def _deadline_rows(
    session: Session, now: datetime, calendar: WorkCalendar | None
) -> list[DeadlineRow]:
    """The rows of the open cases, of the unopened reports and of every protection matter."""
    require_aware(now, "now")
    calendar = calendar if calendar is not None else work_calendar(session)
    rows = [row for case in _open_cases(session) for row in case_deadline_rows(case, calendar, now)]
    rows += [
        row for submission in _unopened(session) for row in unopened_rows(submission, calendar, now)
    ]
    rows += [
        row
        for matter, submission_id in _matters(session)
        for row in matter_rows(matter, submission_id, calendar, now)
    ]
    return rows
