"""The back office's lists as indexed queries over stored plain columns (issue 15).

The writer (:func:`refresh`) recomputes one report's rows in ``case_lists`` and
``list_deadlines`` (store/models/lists.py) from the rules (cases.deadlines: case_deadline_rows,
unopened_rows, matter_rows, the source of truth) and is called in the same transaction as every
change that moves a deadline: registration and steps (cases.workflow), protection matters
(cases.protection), a report typed in by staff (cases.intake, through registration). A calendar
change recomputes every open case (:func:`recompute`), as do ``adal cases recompute`` and
``adal db upgrade``.

A portal report gets its rows from the back office, not from the portal: the portal's database
role may neither read the calendar nor write the back office's tables (installation/roles.py).
:func:`catch_up` lists what the portal added since: every list query calls it first, and it
costs one probe of an empty partial index when nothing is missing (``submissions.listed``).

Deadline states follow from ``now`` in each query (``late_at`` <= now: overdue; ``soon_at`` <=
now: due soon), so they never go stale between writes. Nothing here decrypts anything.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from cases import scope
from cases.calendar import work_calendar
from cases.deadlines import DeadlineRow, case_deadline_rows, matter_rows, unopened_rows
from rules.calendar import WorkCalendar
from rules.clock import require_aware, start_of_local_day, utcnow
from rules.deadlines import Deadline, DeadlineState, DeadlineStats
from rules.errors import AdalError
from rules.offences import OFFENCE_TYPES, UNDETERMINED
from rules.workflow import Step
from store.models import (
    Case,
    CaseList,
    Grant,
    ListDeadline,
    Message,
    Protection,
    ProtectionMatter,
    Submission,
    User,
)

AREA = "lists"  # of the AdalError codes raised here
NEW = "new"
PER_PAGE = 50
_STATE_ORDER = {"overdue": 0, "due_soon": 1, "due": 2}
_SOON_HOURS = timedelta(hours=24)  # rules.deadlines: an hour deadline's last 24 hours
DEADLINE_FILTERS = ("overdue", "due_soon", "due", "none")
SORTS = ("received", "received_asc", "deadline")


def _utc(moment: datetime) -> datetime:
    """UTC, and aware again: SQLite hands timestamps back naive (they are stored in UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- the writer --------------------------------------------------------------------------------


def _soon_at(deadline: Deadline) -> datetime:
    """When Deadline.state turns "due_soon"."""
    if deadline.due is not None:
        return deadline.due - _SOON_HOURS
    assert deadline.due_date is not None
    return start_of_local_day(deadline.warn_from or deadline.due_date - timedelta(days=1))


def _deadline_values(row: DeadlineRow, listed: bool, received_on: date) -> dict[str, Any]:
    d = row.deadline
    outcome = None
    if d.met_at is not None:
        outcome = "met_late" if d.is_late(d.met_at) else "met"
    return {
        "submission_id": row.submission_id,
        "received_on": received_on,
        "matter_id": row.matter_id,
        "key": d.key,
        "label": d.label[:200],
        "kind": d.kind,
        "basis": d.basis[:200],
        "due": _utc(d.due) if d.due is not None else None,
        "due_date": d.due_date,
        "warn_from": d.warn_from,
        "aim_date": d.aim_date,
        "met_at": _utc(d.met_at) if d.met_at is not None else None,
        "exact": row.exact,
        "late_at": _utc(row.moment),
        "soon_at": _utc(_soon_at(d)),
        "outcome": outcome,
        "listed": listed,
    }


def _closing_reason(case: Case) -> str | None:
    for event in case.events:
        if event.kind == Step.CLOSED_WITHOUT_DECISION.value:
            return str((event.details or {}).get("reason", ""))[:32]
    return None


def confirmation(case: Case | None) -> tuple[str | None, date | None]:
    """The p9 letter's outgoing number and date, as the CONFIRMATION_SENT step recorded them
    (the register prints them)."""
    for event in case.events if case is not None else ():
        if event.kind == Step.CONFIRMATION_SENT.value:
            details = event.details or {}
            try:
                sent = date.fromisoformat(str(details["outgoing_date"]))
            except (KeyError, ValueError):
                sent = None
            return str(details.get("outgoing_number", "")), sent
    return None, None


@dataclass(frozen=True)
class ListValues:
    """What one report contributes to the lists: its case_lists row (without the assignee,
    which is not derived) and its list_deadlines rows."""

    entry: dict[str, Any]
    deadlines: list[dict[str, Any]]


def list_values(
    submission: Submission,
    case: Case | None,
    matters: Sequence[ProtectionMatter],
    calendar: WorkCalendar,
    now: datetime,
) -> ListValues:
    """The stored columns of one report, from the rules (cases.deadlines) alone."""
    day = submission.received_on
    if case is None:
        rows = [_deadline_values(r, True, day) for r in unopened_rows(submission, calendar, now)]
    else:
        is_open = case.closed_at is None
        rows = [_deadline_values(r, is_open, day) for r in case_deadline_rows(case, calendar, now)]
    rows += [
        _deadline_values(r, True, day)
        for matter in matters
        for r in matter_rows(matter, submission.id, calendar, now)
    ]
    for r in rows:
        r["org_id"] = submission.org_id  # every list filters on the organization
    number, sent = confirmation(case)
    pending = [r for r in rows if r["listed"] and r["outcome"] is None]
    first = min(pending, key=lambda r: (r["late_at"], r["key"]), default=None)
    entry = {
        "submission_id": submission.id,
        "org_id": submission.org_id,
        "received_on": submission.received_on,
        "channel": submission.channel,
        "status": NEW if case is None else case.status,
        "closed": case is not None and case.closed_at is not None,
        "offence_type": (case.offence_type if case is not None else None) or UNDETERMINED,
        "closing_reason": _closing_reason(case) if case is not None else None,
        "next_key": first["key"] if first else None,
        "next_late_at": first["late_at"] if first else None,
        "next_soon_at": min(r["soon_at"] for r in pending) if pending else None,
        "outgoing_number": number,
        "outgoing_date": sent,
    }
    return ListValues(entry, rows)


def _store(session: Session, values: Sequence[ListValues]) -> None:
    if not values:
        return
    ids = [v.entry["submission_id"] for v in values]
    existing = {
        row.submission_id: row
        for row in session.scalars(select(CaseList).where(CaseList.submission_id.in_(ids)))
    }
    # Deadline rows exist only beside a case_lists row (both are written here, and both go
    # with their submission), so a report listed for the first time has none to delete. This
    # skips the DELETE on a first fill (a migration, the bench), where the planner, seeing an
    # unanalysed table growing in one transaction, scans it for every batch.
    if existing:
        session.execute(delete(ListDeadline).where(ListDeadline.submission_id.in_(list(existing))))
    for v in values:
        row = existing.get(v.entry["submission_id"])
        if row is None:
            session.add(CaseList(**v.entry))
        else:
            for name, value in v.entry.items():
                setattr(row, name, value)
    deadlines = [d for v in values for d in v.deadlines]
    if deadlines:
        session.execute(insert(ListDeadline), deadlines)
    session.flush()
    # Out of catch_up's partial index: these reports are listed now.
    session.execute(
        update(Submission)
        .where(Submission.id.in_(ids), Submission.listed.is_(None))
        .values(listed=True)
        .execution_options(synchronize_session=False)
    )


def _matters_of(session: Session, case_ids: Iterable[int]) -> dict[int, list[ProtectionMatter]]:
    ids = list(case_ids)
    found: dict[int, list[ProtectionMatter]] = {}
    if not ids:
        return found
    for matter, case_id in session.execute(
        select(ProtectionMatter, Protection.case_id)
        .join(Protection, Protection.id == ProtectionMatter.protection_id)
        .where(Protection.case_id.in_(ids))
        .order_by(ProtectionMatter.id)
    ):
        found.setdefault(case_id, []).append(matter)
    return found


def refresh(session: Session, submission: Submission, calendar: WorkCalendar | None = None) -> None:
    """Recompute one report's list rows; call it in the transaction of the change."""
    session.flush()
    case = session.scalar(
        select(Case).options(selectinload(Case.events)).where(Case.submission_id == submission.id)
    )
    if case is not None:
        session.refresh(case, ["events"])
    matters = _matters_of(session, [case.id]).get(case.id, []) if case is not None else []
    calendar = calendar if calendar is not None else work_calendar(session)
    _store(session, [list_values(submission, case, matters, calendar, utcnow())])


def refresh_case(session: Session, case: Case) -> None:
    refresh(session, case.submission)


def _refresh_many(
    session: Session, submissions: Sequence[Submission], calendar: WorkCalendar, now: datetime
) -> None:
    cases = {
        c.submission_id: c
        for c in session.scalars(
            select(Case)
            .options(selectinload(Case.events))
            .where(Case.submission_id.in_([s.id for s in submissions]))
        )
    }
    matters = _matters_of(session, [c.id for c in cases.values()])
    _store(
        session,
        [
            list_values(
                s,
                cases.get(s.id),
                matters.get(cases[s.id].id, []) if s.id in cases else [],
                calendar,
                now,
            )
            for s in submissions
        ],
    )


def recompute(
    session: Session, *, everything: bool = False, batch: int = 500, release: bool = False
) -> int:
    """Recompute the rows of every open case and unopened report, and of every case with a
    protection matter (its Section 3 deadlines outlive the case); with ``everything`` closed
    cases too. Returns how many reports were recomputed. For a calendar change, the command
    and ``adal db upgrade``. ``release`` empties the session after each batch (a command's own
    session, so memory stays flat over many reports)."""
    calendar = work_calendar(session)
    now = utcnow()
    query = select(Submission.id).outerjoin(Case, Case.submission_id == Submission.id)
    if not everything:
        with_matters = select(Protection.case_id).join(
            ProtectionMatter, ProtectionMatter.protection_id == Protection.id
        )
        query = query.where(
            or_(Case.id.is_(None), Case.closed_at.is_(None), Case.id.in_(with_matters))
        )
    ids = list(session.scalars(query.order_by(Submission.id)))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        submissions = list(session.scalars(select(Submission).where(Submission.id.in_(chunk))))
        _refresh_many(session, submissions, calendar, now)
        if release:
            session.expunge_all()
    return len(ids)


def catch_up_committed(session: Session) -> None:
    """:func:`catch_up` in its own transaction, committed, for a page about to read the lists
    (a GET request's session commits nothing else). Two pages catching up at once may list the
    same new report; the loser's rows already exist, so it rolls back and reads them."""
    try:
        if catch_up(session):
            session.commit()
    except IntegrityError:
        session.rollback()


def catch_up(session: Session) -> int:
    """List the reports that have no list rows yet (the portal's, see the module's docstring):
    those whose ``listed`` is still NULL, found through a partial index that holds only them,
    so when nothing is owed this is one probe of an empty index. Returns how many were added."""
    submissions = list(
        session.scalars(
            select(Submission).where(Submission.listed.is_(None)).order_by(Submission.id)
        )
    )
    if not submissions:
        return 0
    calendar = work_calendar(session)
    now = utcnow()
    for start in range(0, len(submissions), 500):
        _refresh_many(session, submissions[start : start + 500], calendar, now)
    return len(submissions)


# --- reading -------------------------------------------------------------------------------


def stored_deadline(row: ListDeadline | Any) -> Deadline:
    """The rules' Deadline of a stored row: a ListDeadline, or a plain row of its columns."""
    return Deadline(
        key=row.key,
        label=row.label,
        kind=row.kind,  # type: ignore[arg-type]
        due=_utc(row.due) if row.due is not None else None,
        due_date=row.due_date,
        met_at=_utc(row.met_at) if row.met_at is not None else None,
        basis=row.basis,
        warn_from=row.warn_from,
        aim_date=row.aim_date,
    )


def stored_row(row: ListDeadline, now: datetime) -> DeadlineRow:
    deadline = stored_deadline(row)
    return DeadlineRow(row.submission_id, deadline, deadline.state(now), row.exact, row.matter_id)


# The open deadlines the deadlines page lists, in the words of the partial index
# ix_list_deadlines_open (store/models/lists.py): "listed" bare, not "IS TRUE", which neither
# database matches to the index's predicate.
OPEN: tuple[ColumnElement[bool], ...] = (ListDeadline.listed, ListDeadline.outcome.is_(None))


def _state_rank(now: datetime) -> ColumnElement[int]:
    return case(
        (ListDeadline.late_at <= now, 0),
        (ListDeadline.soon_at <= now, 1),
        else_=2,
    )


def _held(query: Select[Any], key_id: str, submission_id: Any) -> Select[Any]:
    return query.join(Submission, Submission.id == submission_id).join(
        Grant, (Grant.envelope_id == Submission.report_envelope_id) & (Grant.key_id == key_id)
    )


def _deadline_state(state: str, now: datetime) -> ColumnElement[bool]:
    if state == "overdue":
        return ListDeadline.late_at <= now
    if state == "due_soon":
        return and_(ListDeadline.late_at > now, ListDeadline.soon_at <= now)
    # soon_at <= late_at always; the late_at bound lets the open-deadline index take the range.
    return and_(ListDeadline.late_at > now, ListDeadline.soon_at > now)


# --- paging by key (keyset) ---------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One part of a list in one index order: ``query`` filtered but unordered, ``keys`` the
    columns of its order ending in a unique tie-breaker, all in one direction, so a page starts
    where the previous one ended with a single comparison of row values the index can seek to
    (no OFFSET: the cost of a page does not grow with its depth)."""

    name: str
    query: Select[Any]
    keys: tuple[Any, ...]  # mapped attributes of the listed entity (the row's first element)
    descending: bool = False


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (or, going back, before) the row with these key values in
    the named segment."""

    segment: str
    values: tuple[Any, ...]
    backward: bool = False


_CURSOR_MAX = 300  # characters: a link's cursor is a few dozen; anything longer is forged


def encode_cursor(segment: str, values: Sequence[Any]) -> str:
    """A cursor for a link: URL-safe, opaque to the user, nothing in it they cannot see on the
    page already (the sort values and the report's id). The server checks it on the way back."""
    plain: list[Any] = [segment]
    for value in values:
        if isinstance(value, datetime):  # SQLite hands them back naive, in UTC
            value = _utc(value).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        plain.append(value)
    raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> AdalError:
    return AdalError(AREA, "bad_cursor", "the page link is not one this list made")


def _typed(value: Any, column: Any) -> Any:
    kind = column.type.python_type
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment.astimezone(UTC)
    if kind is date:
        if not isinstance(value, str):
            raise ValueError(value)
        return date.fromisoformat(value)
    if kind is int:
        if type(value) is not int or not 0 <= value < 2**63:
            raise ValueError(value)
        return value
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ValueError(value)
    return value


def decode_cursor(text: str, segments: Sequence[Segment], *, backward: bool = False) -> Cursor:
    """The cursor of a link, checked against the list's segments: a segment of this list, and
    one value of the right type per key. Anything else (edited, truncated, from another list or
    sort) is refused with AdalError("lists", "bad_cursor")."""
    if not text or len(text) > _CURSOR_MAX:
        raise _bad_cursor()
    try:
        plain = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(plain, list) or not plain or not isinstance(plain[0], str):
            raise ValueError(plain)
        segment = next(s for s in segments if s.name == plain[0])
        if len(plain) - 1 != len(segment.keys):
            raise ValueError(plain)
        values = tuple(_typed(v, k) for v, k in zip(plain[1:], segment.keys, strict=True))
    except (ValueError, TypeError, StopIteration, RecursionError) as error:
        raise _bad_cursor() from error
    return Cursor(segment.name, values, backward)


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    more: bool  # a next page exists
    after: str | None = None  # the next page's cursor
    before: str | None = None  # the previous page's cursor; None on the first page


def _key_values(row: Any, segment: Segment) -> tuple[Any, ...]:
    entity = row[0] if isinstance(row, tuple) else row
    return tuple(getattr(entity, key.key) for key in segment.keys)


def _past(segment: Segment, values: tuple[Any, ...], backward: bool) -> ColumnElement[bool]:
    """Rows after ``values`` in the segment's order (before them when going back)."""
    left = tuple_(*segment.keys)
    right = tuple_(*(literal(v, k.type) for v, k in zip(values, segment.keys, strict=True)))
    return left < right if segment.descending != backward else left > right


def _walk(session: Session, segments: Sequence[Segment], cursor: Cursor | None) -> Page:
    """One page (PER_PAGE rows) of the segments one after the other, from the cursor on (or
    back from it), each segment read in its index order from the cursor's key: every query is
    an index seek plus at most PER_PAGE + 1 rows, however deep the page."""
    backward = cursor is not None and cursor.backward
    wanted = PER_PAGE + 1  # one more, to tell whether there is a further page
    names = [s.name for s in segments]
    start = names.index(cursor.segment) if cursor is not None else 0
    order = range(start, -1, -1) if backward else range(start, len(segments))
    found: list[tuple[Segment, Any]] = []
    for i in order:
        segment = segments[i]
        query = segment.query
        if cursor is not None and i == start:
            query = query.where(_past(segment, cursor.values, backward))
        down = segment.descending != backward
        query = query.order_by(*(k.desc() if down else k.asc() for k in segment.keys))
        rows = list(session.execute(query.limit(wanted - len(found))))
        found += [(segment, row[0] if len(row) == 1 else tuple(row)) for row in rows]
        if len(found) >= wanted:
            break
    further = len(found) > PER_PAGE
    found = found[:PER_PAGE]
    if backward:
        found.reverse()
    rows = [row for _s, row in found]

    def at(index: int) -> str:
        segment, row = found[index]
        return encode_cursor(segment.name, _key_values(row, segment))

    if not found:
        return Page([], False)
    if backward:  # came back from a later page: there is one after this
        return Page(rows, True, at(-1), at(0) if further else None)
    return Page(rows, further, at(-1) if further else None, at(0) if cursor is not None else None)


def _cursor(text: str | None, segments: Sequence[Segment], backward: bool) -> Cursor | None:
    return decode_cursor(text, segments, backward=backward) if text else None


def open_deadlines_page(
    session: Session,
    key_id: str,
    now: datetime,
    *,
    org_id: int,
    state: str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """The open deadlines of the reports ``key_id`` holds, most urgent first (overdue, due soon,
    due; then by due time), one page: the order of cases.deadlines.open_deadlines.

    Read segment by segment (overdue, due soon, due), each in the order of the open-deadline
    index (``late_at``, ``id``) and from the cursor of the link followed (``after`` the last row
    of the page before, or ``before`` the first row of the page after): no request sorts or
    skips open deadlines, however deep the page. A cursor this list did not make is refused
    (AdalError "lists" / "bad_cursor").
    """
    require_aware(now, "now")
    now = _utc(now)
    base = _held(select(ListDeadline), key_id, ListDeadline.submission_id).where(
        scope.in_org(ListDeadline.org_id, org_id), *OPEN
    )
    segments = [
        Segment(
            segment,
            base.where(_deadline_state(segment, now)),
            (ListDeadline.late_at, ListDeadline.id),
        )
        for segment in ("overdue", "due_soon", "due")
        if state in (None, segment)
    ]
    found = _walk(session, segments, _cursor(after or before, segments, backward=not after))
    return replace(found, rows=[stored_row(r, now) for r in found.rows])


@dataclass(frozen=True)
class InboxFilters:
    closed: bool = False
    status: str | None = None
    channel: str | None = None
    deadline: str | None = None  # DEADLINE_FILTERS
    assignee: int | Literal["none"] | None = None
    since: date | None = None
    until: date | None = None
    sort: str = "received"


@dataclass(frozen=True)
class InboxRow:
    submission_id: str
    received_on: date
    channel: str
    status: str
    last_from_reporter: date | None
    assignee: str | None
    deadlines: list[DeadlineRow] = field(default_factory=list)


def _inbox_state(state: str, now: datetime) -> ColumnElement[bool]:
    if state == "overdue":
        return CaseList.next_late_at <= now
    if state == "due_soon":
        return and_(CaseList.next_late_at > now, CaseList.next_soon_at <= now)
    if state == "due":
        return CaseList.next_soon_at > now
    return CaseList.next_late_at.is_(None)


def inbox_page(
    session: Session,
    key_id: str,
    now: datetime,
    filters: InboxFilters,
    *,
    org_id: int,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """One page of the reports ``key_id`` holds, filtered and sorted on stored columns, from
    the cursor of the link followed (as :func:`open_deadlines_page`). Each row carries its open
    deadlines shown in the inbox: the most urgent of an opened case; both p8 and p9 of a report
    nobody has opened (one more query, for this page's rows only)."""
    require_aware(now, "now")
    now = _utc(now)
    last = (
        select(func.max(Message.created_on))
        .where(Message.submission_id == CaseList.submission_id)
        .where(Message.direction == "from_reporter")
        .correlate(CaseList)
        .scalar_subquery()
    )
    query = _held(
        select(CaseList, last, User.full_name).outerjoin(User, User.id == CaseList.assignee_id),
        key_id,
        CaseList.submission_id,
    ).where(scope.in_org(CaseList.org_id, org_id), CaseList.closed == filters.closed)
    if filters.status:
        query = query.where(CaseList.status == filters.status)
    if filters.channel:
        query = query.where(CaseList.channel == filters.channel)
    if filters.deadline:
        query = query.where(_inbox_state(filters.deadline, now))
    if filters.assignee == "none":
        query = query.where(CaseList.assignee_id.is_(None))
    elif filters.assignee is not None:
        query = query.where(CaseList.assignee_id == filters.assignee)
    if filters.since:
        query = query.where(CaseList.received_on >= filters.since)
    if filters.until:
        query = query.where(CaseList.received_on <= filters.until)
    # Every order ends in the submission id, so a cursor names one row; the indexes on
    # (closed, received_on, submission_id) and (closed, next_late_at, submission_id) hold it.
    newest = (CaseList.received_on, CaseList.submission_id)
    if filters.sort == "deadline":
        # Reports with an open deadline by its moment, then those without one, newest first:
        # two walks of their indexes rather than one sort of every report.
        segments = [
            Segment(
                "next",
                query.where(CaseList.next_late_at.is_not(None)),
                (CaseList.next_late_at, CaseList.submission_id),
            ),
            Segment("none", query.where(CaseList.next_late_at.is_(None)), newest, True),
        ]
    else:
        segments = [Segment("all", query, newest, filters.sort != "received_asc")]
    page = _walk(session, segments, _cursor(after or before, segments, backward=not after))
    found = page.rows
    urgent: dict[str, list[DeadlineRow]] = {}
    if found and not filters.closed:
        new = {entry.submission_id for entry, _l, _n in found if entry.status == NEW}
        # By submission id only (its index): a filter on the open-deadline index here would
        # make the planner walk every open deadline. Few rows per report; sorted here.
        pending = [
            stored_row(stored, now)
            for stored in session.scalars(
                select(ListDeadline).where(
                    ListDeadline.submission_id.in_([entry.submission_id for entry, _l, _n in found])
                )
            )
            if stored.listed and stored.outcome is None
        ]
        for row in sorted(pending, key=lambda r: (_STATE_ORDER[r.state], r.moment)):
            listed = urgent.setdefault(row.submission_id, [])
            if not listed or row.submission_id in new:
                listed.append(row)
    rows = [
        InboxRow(
            entry.submission_id,
            entry.received_on,
            entry.channel,
            entry.status,
            last_on,
            name,
            urgent.get(entry.submission_id, []),
        )
        for entry, last_on, name in found
    ]
    return replace(page, rows=rows)


# --- statistics ----------------------------------------------------------------------------


def count_when(condition: ColumnElement[bool]) -> Any:
    """How many of a group's rows meet `condition` (one grouped query, several such counts)."""
    return func.sum(case((condition, 1), else_=0))


def outcome_counts(now: datetime) -> tuple[Any, Any, Any, Any]:
    """The grouped counts of list_deadlines behind a DeadlineStats, in its order: met,
    met late, overdue, open (not yet due) at `now`; the statistics' and a superior body's."""
    pending = ListDeadline.outcome.is_(None)
    return (
        count_when(ListDeadline.outcome == "met"),
        count_when(ListDeadline.outcome == "met_late"),
        count_when(and_(pending, ListDeadline.late_at <= now)),
        count_when(and_(pending, ListDeadline.late_at > now)),
    )


@dataclass(frozen=True)
class Counts:
    total: int
    by_channel: dict[str, int]
    by_status: dict[str, int]
    by_month: dict[str, int]
    by_offence_type: dict[str, int]
    closed_without_decision: dict[str, int]
    deadlines: dict[str, DeadlineStats]
    deadlines_total: DeadlineStats
    inexact: int


def counts(
    session: Session,
    now: datetime,
    since: date | None = None,
    until: date | None = None,
    *,
    org_ids: Collection[int],
) -> Counts:
    """The statistics' counts of the reports sent to `org_ids` (a user's own organization, or
    the ones below a superior body; required, so that no caller counts every organization by
    omission): one grouped query over the reports, one over the deadlines, each read from a
    covering index; a period filters each table on its own receipt date (list_deadlines carries
    a copy), so neither query joins."""
    require_aware(now, "now")
    now = _utc(now)

    def within(
        query: Select[Any], received_on: Any = CaseList.received_on, org: Any = CaseList.org_id
    ) -> Select[Any]:
        query = query.where(scope.in_orgs(org, org_ids))
        if since is not None:
            query = query.where(received_on >= since)
        if until is not None:
            query = query.where(received_on <= until)
        return query

    channels: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    months: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for channel, status, kind, reason, day, n in session.execute(
        within(
            select(
                CaseList.channel,
                CaseList.status,
                CaseList.offence_type,
                CaseList.closing_reason,
                CaseList.received_on,
                func.count(),
            ).group_by(
                # In the order of ix_case_lists_counts, so one organization's rows are counted
                # as the index holds them, with no sort (migration 0012).
                CaseList.received_on,
                CaseList.channel,
                CaseList.status,
                CaseList.offence_type,
                CaseList.closing_reason,
            )
        )
    ):
        channels[channel] += n
        statuses[status] += n
        kinds[kind] += n
        months[f"{day.year:04d}-{day.month:02d}"] += n
        if reason is not None:
            reasons[reason] += n
    total = sum(channels.values())

    per_key: dict[str, DeadlineStats] = {}
    inexact = 0
    for key, met, late, overdue, pending, rough in session.execute(
        within(
            select(
                ListDeadline.key,
                *outcome_counts(now),
                count_when(ListDeadline.exact.is_(False)),
            )
            .group_by(ListDeadline.key)
            .order_by(ListDeadline.key),
            ListDeadline.received_on,
            ListDeadline.org_id,
        )
    ):
        per_key[key] = DeadlineStats(
            met=int(met), met_late=int(late), overdue=int(overdue), open=int(pending)
        )
        inexact += int(rough)
    return Counts(
        total=total,
        by_channel={k: channels[k] for k in sorted(channels)},
        by_status={k: statuses[k] for k in sorted(statuses)},
        by_month=dict(sorted(months.items())),
        by_offence_type={k: int(kinds[k]) for k in OFFENCE_TYPES if total},
        closed_without_decision=dict(sorted(reasons.items())),
        deadlines=per_key,
        deadlines_total=DeadlineStats(
            met=sum(s.met for s in per_key.values()),
            met_late=sum(s.met_late for s in per_key.values()),
            overdue=sum(s.overdue for s in per_key.values()),
            open=sum(s.open for s in per_key.values()),
        ),
        inexact=inexact,
    )


def stored_rows(session: Session, submission_id: str) -> tuple[CaseList | None, list[ListDeadline]]:
    """One report's stored list rows (for checks and the property test)."""
    entry = session.get(CaseList, submission_id)
    rows = list(
        session.scalars(
            select(ListDeadline)
            .where(ListDeadline.submission_id == submission_id)
            .order_by(ListDeadline.id)
        )
    )
    return entry, rows


__all__ = [
    "AREA",
    "DEADLINE_FILTERS",
    "NEW",
    "OPEN",
    "PER_PAGE",
    "SORTS",
    "Counts",
    "Cursor",
    "DeadlineState",
    "InboxFilters",
    "InboxRow",
    "ListValues",
    "Page",
    "Segment",
    "catch_up",
    "catch_up_committed",
    "confirmation",
    "counts",
    "decode_cursor",
    "encode_cursor",
    "inbox_page",
    "list_values",
    "open_deadlines_page",
    "recompute",
    "refresh",
    "refresh_case",
    "stored_deadline",
    "stored_row",
    "stored_rows",
]
