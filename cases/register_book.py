"""The register (журнал учёта / есепке алу журналы): one row per report an organization received
in a period, from plain columns only. Nothing is decrypted and nothing of a report's content,
its reporter or its time of day is read: the register is a list of dates, channels, statuses
and deadlines, which is all a head or an auditor needs to account for the reports.

Each row carries the running number (receipt date order within the period), the receipt date,
the channel (p5), the offence type (p3), the status, every deadline (p7, p8, p9, p18, p19, p20)
with its due date and outcome, and the outgoing number and date of the written confirmation
(p9, the CONFIRMATION_SENT step's details).

The deadlines are the ones cases.deadlines computes for the case page and the statistics
(case_deadline_rows, unopened_rows, matter_rows), as stored by cases.lists in the same
transaction as every step (the property test in tests/cases/test_list_columns.py holds them to
the rules), so the register never disagrees with them. The rows are gathered in one query over
those stored columns, whatever the number of reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import scope
from cases.deadlines import DeadlineRow
from cases.lists import catch_up, stored_deadline
from rules.clock import local_date, require_aware
from rules.errors import AdalError
from rules.offences import UNDETERMINED
from store.models import CaseList, ListDeadline

AREA = "register_book"  # of the AdalError codes raised here
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
# What cases.lists.stored_deadline and a DeadlineRow read of a stored deadline.
_DEADLINE_COLUMNS = (
    "key",
    "label",
    "kind",
    "basis",
    "due",
    "due_date",
    "warn_from",
    "aim_date",
    "met_at",
    "exact",
    "matter_id",
)

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


def register_book(
    session: Session,
    since: date,
    until: date,
    now: datetime,
    *,
    org_id: int,
) -> RegisterBook:
    """The register of the reports sent to `org_id` and received in [since, until] (inclusive,
    by receipt date): one organization's register, never another's.

    One query over the stored list columns (cases.lists: one row per report, one per deadline,
    met ones included, kept current by every step and calendar change) rather than the rules
    rerun over every case's events: the register of 10,000 reports took about 10 s that way.
    Reports the portal added since the last list read are listed first (catch_up).
    """
    require_aware(now, "now")
    check_period(since, until)
    catch_up(session)
    entries: dict[str, tuple[Any, list[DeadlineRow]]] = {}
    # Plain rows, not ORM objects: building tens of thousands of entities cost more than the
    # query itself. Receipt date order; within a day the order is arbitrary (the time of day
    # is sealed), and the random submission id keeps it stable without saying anything about it.
    for row in session.execute(
        select(
            CaseList.submission_id,
            CaseList.received_on,
            CaseList.channel,
            CaseList.offence_type,
            CaseList.status,
            CaseList.outgoing_number,
            CaseList.outgoing_date,
            ListDeadline.id.label("deadline_id"),
            *(getattr(ListDeadline, name) for name in _DEADLINE_COLUMNS),
        )
        .outerjoin(ListDeadline, ListDeadline.submission_id == CaseList.submission_id)
        .where(
            scope.in_org(CaseList.org_id, org_id),
            CaseList.received_on >= since,
            CaseList.received_on <= until,
        )
        .order_by(CaseList.received_on, CaseList.submission_id, ListDeadline.id)
    ):
        _entry, rows = entries.setdefault(row.submission_id, (row, []))
        if row.deadline_id is not None:
            deadline = stored_deadline(row)
            rows.append(
                DeadlineRow(
                    row.submission_id, deadline, deadline.state(now), row.exact, row.matter_id
                )
            )
    book = tuple(
        BookRow(
            number=number,
            received_on=entry.received_on,
            channel=entry.channel,
            offence_type=entry.offence_type or UNDETERMINED,
            status=entry.status,
            deadlines=_ordered(rows),
            outgoing_number=entry.outgoing_number or "",
            outgoing_date=entry.outgoing_date,
        )
        for number, (entry, rows) in enumerate(entries.values(), start=1)
    )
    return RegisterBook(since=since, until=until, made_on=local_date(now), rows=book)
