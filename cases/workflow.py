"""Casework: register a case and record its workflow steps, inside the caller's transaction.

Plain functions, a Session in, no Flask: the back office's views call them and translate the
errors (rules.workflow's AdalError passes through unchanged, its `code` is stable).

Every change here does three things together, so they commit or roll back as one:
the CaseEvent row (who, when, details), the derived state (Case.status, and the reporter-facing
Mailbox.status from rules.workflow.public_status) and an audit entry.

Exact receipt times stay sealed (see cases.facts). Functions that judge a step against the
receipt moment take an optional ``received_at``: the case page passes the time it decrypted,
lists and jobs pass nothing and get date-based, conservative answers.

One fact about the NDA deadline is kept after the exact time has been used: when the NDA is
signed or declined with ``received_at`` given, the event stores ``nda_deadline`` = "met" or
"late". Without it, lists and statistics could only judge that deadline on the conservative
bound and would call many on-time signatures late. The cost is one bit about the receipt time
(before or after signed_at minus 24 hours), which we accept; no time is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases import scope
from cases.facts import NDA_VERDICT, case_events, case_facts, facts_from_report
from cases.lists import refresh_case
from cases.retention import refresh_purge_date, retention_years
from rules import workflow
from rules.calendar import WorkCalendar
from rules.clock import require_aware, utcnow
from rules.deadlines import Deadline, case_deadlines
from rules.errors import AdalError
from rules.offences import OFFENCE_TYPES
from rules.workflow import CaseFacts, Event, Step
from store import audit
from store.db import savepoint
from store.models import Case, CaseEvent, Grant, RecipientKey, Submission, User

# The facts helpers live in cases.facts (retention and protection need them without
# this module); they are re-exported so the back office has one place to import from.
__all__ = [
    "CASE_STATUSES",
    "NDA_VERDICT",
    "case_events",
    "case_facts",
    "case_status",
    "facts_from_report",
    "find_case",
    "history",
    "mark_identity_known",
    "record_step",
    "register_case",
    "register_from_report",
    "set_offence_type",
    "user_names",
]

# Case.status: the furthest milestone of the main path. Side steps (NDA, rights) do not move
# it: the inbox sorts by where the report stands with the Anti-Corruption Service.
MILESTONES = (
    Step.REGISTERED,
    Step.KNS_NOTIFIED,
    Step.CONFIRMATION_SENT,
    Step.DECISION_RECEIVED,
    Step.REPORTER_INFORMED,
    Step.CLOSED,
    Step.CLOSED_WITHOUT_DECISION,
)
CASE_STATUSES: tuple[str, ...] = tuple(s.value for s in MILESTONES)
# Dated facts put the receipt at the start of its day; this reaches its last instant.
_DAY_MINUS_TICK = timedelta(days=1, microseconds=-1)
# The inbox shows a case's first 8 characters; fewer could name several cases.
DUPLICATE_PREFIX = 8


def find_case(session: Session, submission: Submission) -> Case | None:
    return session.scalar(select(Case).where(Case.submission_id == submission.id))


def user_names(session: Session, case: Case) -> dict[int, str]:
    ids = {e.actor_id for e in case.events if e.actor_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def history(session: Session, case: Case) -> list[Event]:
    """The case's events with usernames as actors, for the case page."""
    return case_events(case, user_names(session, case))


def case_status(events: Sequence[Event]) -> str:
    done = workflow.done_steps(events)
    return next((s.value for s in reversed(MILESTONES) if s in done), Step.REGISTERED.value)


def _sync(session: Session, case: Case, facts: CaseFacts, events: Sequence[Event]) -> None:
    """Derived state after a new event: case status, closing and purge dates, mailbox status."""
    case.status = case_status(events)
    closed = next((e for e in events if e.kind in workflow.CLOSING_STEPS), None)
    if closed is not None and case.closed_at is None:
        case.closed_at = closed.at
        refresh_purge_date(case, retention_years(session, case.submission.org_id))
    mailbox = case.submission.mailbox
    if mailbox is not None:
        mailbox.status = workflow.public_status(facts, events)


def register_case(
    session: Session,
    submission: Submission,
    facts: CaseFacts,
    actor: User,
    *,
    at: datetime | None = None,
) -> tuple[Case, bool]:
    """The submission's case, registered now if nobody has yet. Returns (case, created).

    p6: a report may not be refused, so this never refuses a submission. ``facts`` come from
    the decrypted report (cases.facts.facts_from_report); for other channels the handler
    typed the receipt time into the same payload. The event is dated ``at`` (default: now), or
    the receipt time if a report is stamped a little ahead of this server's clock.

    Two handlers opening a new report at once race for the unique submission id; the loser
    gets the winner's case and records nothing.
    """
    existing = find_case(session, submission)
    if existing is not None:
        return existing, False
    moment = require_aware(at, "at") if at is not None else utcnow()
    event = workflow.apply(
        facts, [], Step.REGISTERED, max(moment, facts.received_at), actor.username
    )
    case = Case(
        submission_id=submission.id,
        status=Step.REGISTERED.value,
        anonymous=facts.anonymous,
        nda_intended=facts.nda_intended,
        registered_at=event.at,
    )
    case.events.append(
        CaseEvent(kind=event.kind, at=event.at, actor_id=actor.id, details=dict(event.details))
    )
    try:
        with savepoint(session):
            session.add(case)
    except IntegrityError:
        winner = find_case(session, submission)
        if winner is None:
            raise
        return winner, False
    case.submission = submission
    if submission.mailbox is not None:
        submission.mailbox.status = workflow.public_status(facts, [event])
    _refresh_lists(session, case)
    audit.append(
        session,
        "case.step",
        actor=actor.username,
        org_id=actor.org_id,
        target=submission.id,
        details={"step": event.kind, "channel": submission.channel},
    )
    return case, True


def register_from_report(
    session: Session, submission: Submission, report: Mapping[str, Any], actor: User, at: datetime
) -> tuple[Case, bool]:
    """`register_case` with the facts read from the decrypted (or just sealed) report: on a
    handler's first opening, or at once for a report typed in by staff."""
    return register_case(session, submission, facts_from_report(report, submission), actor, at=at)


def _refresh_lists(session: Session, case: Case) -> None:
    """Keep the back office's list columns current in this transaction (cases.lists)."""
    refresh_case(session, case)


def _lock(session: Session, case: Case) -> None:
    """Serialise steps on one case: two handlers recording the same step at once must not
    both pass the "already recorded" check.

    A no-op UPDATE takes PostgreSQL's row lock and SQLite's write lock before the history is
    read again, so the second writer waits and then sees the first one's event.
    """
    session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(status=Case.status)
        .execution_options(synchronize_session=False)
    )
    session.refresh(case, ["events"])


def record_step(
    session: Session,
    case: Case,
    step: Step | str,
    actor: User,
    at: datetime,
    details: Mapping[str, str] | None = None,
    *,
    received_at: datetime | None = None,
) -> CaseEvent:
    """Validate and store one workflow step; returns the new CaseEvent.

    Raises AdalError (rules.workflow codes) before anything is added; the case row is
    locked by then, so the caller should end its transaction (rollback) promptly.

    A head's duty (rules.workflow.HEAD_STEPS) recorded by anyone but a head needs the
    instructing head's name in ``details["on_instruction_of"]``; it is stored with the event and
    named in the audit entry's fields.

    Pass ``received_at`` (decrypted from the report) whenever you have it: the step's details
    are then checked against the exact receipt moment, and an NDA step records whether the
    24-hour deadline was met. Without it the checks use the start of the receipt day.
    """
    _lock(session, case)
    facts = case_facts(case, received_at)
    events = case_events(case)
    if step == Step.CLOSED_WITHOUT_DECISION and details and details.get("duplicate_of"):
        repeated = _other_case(session, case, details["duplicate_of"], actor)
        details = {**details, "duplicate_of": repeated}
    event = workflow.apply(
        facts, events, step, at, actor.username, details, actor_is_head=actor.role == "head"
    )
    stored = dict(event.details)
    after = [*events, event]
    if event.kind in (Step.NDA_SIGNED, Step.NDA_DECLINED):
        verdict = _nda_verdict(facts, after, exact=received_at is not None)
        if verdict is not None:
            stored[NDA_VERDICT] = verdict
    row = CaseEvent(kind=event.kind, at=event.at, actor_id=actor.id, details=stored)
    case.events.append(row)
    _sync(session, case, facts, after)
    session.flush()
    _refresh_lists(session, case)
    audit.append(
        session,
        "case.step",
        actor=actor.username,
        org_id=actor.org_id,
        target=case.submission_id,
        details={"step": event.kind, "fields": sorted(stored)},
    )
    return row


def _other_case(session: Session, case: Case, named: str, actor: User) -> str:
    """The full id of the case a duplicate repeats, from its id or the first characters of it
    that the inbox shows; it must be another registered case whose report the actor's key
    holds. A case they do not hold is refused like one that does not exist: otherwise trying
    prefixes would tell anyone who may close a case which other cases exist."""
    prefix = named.strip().lower()
    held = (
        select(Grant.envelope_id)
        .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
        .where(RecipientKey.user_id == actor.id, RecipientKey.active.is_(True))
    )
    found = (
        []
        if len(prefix) < DUPLICATE_PREFIX or not all(c in "0123456789abcdef" for c in prefix)
        else list(
            session.scalars(
                select(Case.submission_id)
                .join(Submission, Submission.id == Case.submission_id)
                .where(
                    Case.submission_id.startswith(prefix),
                    Submission.report_envelope_id.in_(held),
                    scope.in_org(Submission.org_id, case.submission.org_id or -1),
                )
                .limit(2)
            )
        )
    )
    if len(found) != 1 or found[0] == case.submission_id:
        raise AdalError(
            workflow.AREA,
            "invalid_detail:duplicate_of",
            "duplicate_of must name one other registered case",
        )
    return found[0]


def _nda_verdict(facts: CaseFacts, events: Sequence[Event], *, exact: bool) -> str | None:
    """ "met" or "late" for a settled NDA deadline, when it can be judged: always with the
    exact receipt time, and without it only when the whole receipt day gives one answer."""
    calendar = WorkCalendar()  # the NDA deadline is in calendar hours: no calendar needed
    candidates = (
        [facts]
        if exact
        else [
            facts,
            # The latest instant of the receipt day: if even a report this late was answered in
            # time (or even this one late), the answer does not depend on the sealed time.
            CaseFacts(
                received_at=facts.received_at + _DAY_MINUS_TICK,
                anonymous=facts.anonymous,
                nda_intended=facts.nda_intended,
            ),
        ]
    )
    verdicts = set()
    for candidate in candidates:
        nda = _find(case_deadlines(candidate, events, calendar), "nda")
        if nda is None or nda.met_at is None:
            return None
        verdicts.add("late" if nda.is_late(nda.met_at) else "met")
    return verdicts.pop() if len(verdicts) == 1 else None


def _find(deadlines: Sequence[Deadline], key: str) -> Deadline | None:
    return next((d for d in deadlines if d.key == key), None)


def mark_identity_known(
    session: Session, case: Case, actor: User, at: datetime | None = None
) -> None:
    """The reporter disclosed their identity after an anonymous report (e.g. in the mailbox,
    to sign the NDA): NDA and rights steps become available. Irreversible by design: the
    duties owed to a known reporter do not lapse if they later ask to be anonymous again.

    An NDA intention ticked on the anonymous report becomes an ``nda_intention`` event dated
    now: the 24 hours of p7 need a counterpart to sign with, so they run from the disclosure,
    not from a report nobody could have signed with.
    """
    if not case.anonymous:
        return
    moment = require_aware(at, "at") if at is not None else utcnow()
    _lock(session, case)
    case.anonymous = False
    carried = case.nda_intended
    session.flush()
    _refresh_lists(session, case)
    audit.append(
        session,
        "case.identity_known",
        actor=actor.username,
        org_id=actor.org_id,
        target=case.submission_id,
    )
    if carried:
        case.nda_intended = False
        record_step(
            session,
            case,
            Step.NDA_INTENTION,
            actor,
            moment,
            {"basis": "stated on the report before the identity was known"},
        )


def set_offence_type(session: Session, case: Case, offence_type: str, actor: User) -> bool:
    """Record which kind of offence of p3 the report concerns (or that it is undetermined);
    audited with the old and new value. Returns whether anything changed.

    Recordable on a closed case too: the authorised body's decision often settles it last.
    """
    if offence_type not in OFFENCE_TYPES:
        raise AdalError(
            workflow.AREA,
            "invalid_detail:offence_type",
            f"offence_type must be one of {', '.join(OFFENCE_TYPES)}",
        )
    before = case.offence_type
    if before == offence_type:
        return False
    case.offence_type = offence_type
    session.flush()
    _refresh_lists(session, case)
    audit.append(
        session,
        "case.offence_type",
        actor=actor.username,
        org_id=actor.org_id,
        target=case.submission_id,
        details={"from": before, "to": offence_type},
    )
    return True
