"""The register (журнал учёта / есепке алу журналы): one row per report an organization received
in a period, from plain columns only. Nothing is decrypted and nothing of a report's content,
its reporter or its time of day is read: the register is a list of dates, channels, statuses
and deadlines, which is all a head or an auditor needs to account for the reports.

Each row carries the running number (receipt date order within the period), the receipt date,
the channel (p5), the offence type (p3), the status, every deadline (p7, p8, p9, p18, p19, p20)
with its due date and outcome, and the outgoing number and date of the written confirmation
(p9, the CONFIRMATION_SENT step's details).

The deadlines are the ones cases.deadlines computes for the case page and the statistics
(case_deadline_rows, unopened_rows, matter_rows), so the register never disagrees with them.
The rows are gathered with a fixed number of queries whatever the number of reports: the
calendar, the cases with their submissions, their events, the unopened submissions and the
protection matters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from cases import scope
from cases.calendar import work_calendar
from cases.deadlines import DeadlineRow, case_deadline_rows, matter_rows, unopened_rows
from rules.calendar import WorkCalendar
from rules.clock import local_date, require_aware
from rules.errors import AdalError
from rules.offences import UNDETERMINED
from rules.workflow import Step
from store.models import Case, CaseEvent, Protection, ProtectionMatter, Submission

AREA = "register_book"  # of the AdalError codes raised here
NEW = "new"  # the status of a report nobody has opened yet, as cases.stats names it
# The longest period one register may cover: a register is printed and filed per year or per
# quarter; five years bounds the work of one request while covering any sensible request.
MAX_PERIOD = timedelta(days=5 * 366)
# The deadlines in the order of the recommendations' paragraphs.
DEADLINE_ORDER = (
    "nda",
    "kns_notification",
    "written_confirmation",
    "commission_materials",
    "commission_decision_copy",
    "agency_notice",
)
_ORDER = {key: i for i, key in enumerate(DEADLINE_ORDER)}

Outcome = Literal["met", "met_late", "missed", "open"]
_OUTCOMES: dict[str, Outcome] = {
    "met": "met",
    "met_late": "met_late",
    "overdue": "missed",
    "due": "open",
    "due_soon": "open",
}


@dataclass(frozen=True)
class BookDeadline:
    key: str  # rules.deadlines key: "kns_notification", "commission_materials", ...
    basis: str  # the paragraph: "p8"
    due_on: date  # the Kazakhstan date it falls due (an hour deadline: the date of its hour)
    outcome: Outcome
    done_on: date | None  # when it was met, Kazakhstan date
    # False for an NDA deadline judged on the earliest possible receipt time (cases.facts).
    exact: bool = True


@dataclass(frozen=True)
class BookRow:
    number: int
    received_on: date
    channel: str
    offence_type: str
    status: str
    deadlines: tuple[BookDeadline, ...]
    outgoing_number: str = ""
    outgoing_date: date | None = None


@dataclass(frozen=True)
class RegisterBook:
    since: date
    until: date
    made_on: date  # the day the outcomes were judged on
    rows: tuple[BookRow, ...]


def check_period(since: date, until: date) -> None:
    """A period is from ≤ to and at most MAX_PERIOD long; refused with a coded error."""
    if since > until:
        raise AdalError(AREA, "period_reversed", "the period ends before it starts")
    if until - since > MAX_PERIOD:
        raise AdalError(AREA, "period_too_long", "the period is longer than five years")


def _book_deadline(row: DeadlineRow) -> BookDeadline:
    deadline = row.deadline
    if deadline.due_date is not None:
        due_on = deadline.due_date
    else:
        assert deadline.due is not None
        due_on = local_date(deadline.due)
    return BookDeadline(
        key=deadline.key,
        basis=deadline.basis,
        due_on=due_on,
        outcome=_OUTCOMES[row.state],
        done_on=local_date(deadline.met_at) if deadline.met_at is not None else None,
        exact=row.exact,
    )


def _ordered(rows: list[DeadlineRow]) -> tuple[BookDeadline, ...]:
    found = [_book_deadline(row) for row in rows]
    return tuple(sorted(found, key=lambda d: (_ORDER.get(d.key, len(_ORDER)), d.due_on)))


def _within(query: Select[Any], since: date, until: date, org_id: int) -> Select[Any]:
    return query.where(
        scope.in_org(Submission.org_id, org_id),
        Submission.received_on >= since,
        Submission.received_on <= until,
    )


def register_book(
    session: Session,
    since: date,
    until: date,
    now: datetime,
    *,
    org_id: int,
    calendar: WorkCalendar | None = None,
) -> RegisterBook:
    """The register of the reports sent to `org_id` and received in [since, until] (inclusive,
    by receipt date): one organization's register, never another's."""
    require_aware(now, "now")
    check_period(since, until)
    calendar = calendar if calendar is not None else work_calendar(session)

    cases = list(
        session.scalars(
            _within(
                sql_select(Case)
                .join(Case.submission)
                .options(contains_eager(Case.submission))
                .order_by(Case.id),
                since,
                until,
                org_id,
            )
        )
    )
    # The events of every case in the period in one query, handed to each case as its loaded
    # history, so case_deadline_rows reads them without a query per case.
    events: defaultdict[int, list[CaseEvent]] = defaultdict(list)
    for event in session.scalars(
        _within(
            sql_select(CaseEvent)
            .join(Case, Case.id == CaseEvent.case_id)
            .join(Submission, Submission.id == Case.submission_id)
            .order_by(CaseEvent.case_id, CaseEvent.id),
            since,
            until,
            org_id,
        )
    ):
        events[event.case_id].append(event)
    unopened = list(
        session.scalars(
            _within(
                sql_select(Submission)
                .outerjoin(Case, Case.submission_id == Submission.id)
                .where(Case.id.is_(None)),
                since,
                until,
                org_id,
            )
        )
    )
    matters: defaultdict[str, list[ProtectionMatter]] = defaultdict(list)
    for matter, submission_id in session.execute(
        _within(
            sql_select(ProtectionMatter, Submission.id)
            .join(Protection, Protection.id == ProtectionMatter.protection_id)
            .join(Case, Case.id == Protection.case_id)
            .join(Submission, Submission.id == Case.submission_id)
            .order_by(ProtectionMatter.id),
            since,
            until,
            org_id,
        )
    ):
        matters[submission_id].append(matter)

    entries: list[tuple[date, str, BookRow]] = []
    for case in cases:
        history = events.get(case.id, [])
        set_committed_value(case, "events", history)
        rows = case_deadline_rows(case, calendar, now)
        for matter in matters.get(case.submission_id, []):
            rows += matter_rows(matter, case.submission_id, calendar, now)
        number, outgoing = _confirmation(history)
        entries.append(
            (
                case.submission.received_on,
                case.submission_id,
                BookRow(
                    number=0,
                    received_on=case.submission.received_on,
                    channel=case.submission.channel,
                    offence_type=case.offence_type or UNDETERMINED,
                    status=case.status,
                    deadlines=_ordered(rows),
                    outgoing_number=number,
                    outgoing_date=outgoing,
                ),
            )
        )
    for submission in unopened:
        entries.append(
            (
                submission.received_on,
                submission.id,
                BookRow(
                    number=0,
                    received_on=submission.received_on,
                    channel=submission.channel,
                    offence_type=UNDETERMINED,
                    status=NEW,
                    deadlines=_ordered(unopened_rows(submission, calendar, now)),
                ),
            )
        )
    # Receipt date order; within a day the order is arbitrary (the time of day is sealed), and
    # the random submission id keeps it stable without saying anything about it.
    entries.sort(key=lambda e: (e[0], e[1]))
    rows = tuple(replace(row, number=number) for number, (_, _, row) in enumerate(entries, start=1))
    return RegisterBook(since=since, until=until, made_on=local_date(now), rows=rows)


def _confirmation(history: list[CaseEvent]) -> tuple[str, date | None]:
    """The p9 letter's outgoing number and date, as the CONFIRMATION_SENT step recorded them."""
    for event in history:
        if event.kind == Step.CONFIRMATION_SENT.value:
            details = event.details or {}
            number = str(details.get("outgoing_number", ""))
            try:
                sent = date.fromisoformat(str(details["outgoing_date"]))
            except (KeyError, ValueError):
                sent = None
            return number, sent
    return "", None
