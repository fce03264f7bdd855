"""Notices: what staff must learn without opening the back office, and a ledger so that each
goes out once (DESIGN.md "Notifications", issue 14).

Everything here reads plain columns only (receipt dates, grants, workflow events, deadline dates);
nothing is decrypted. `owed` lists the notices the present state calls for:

* ``new_report``: a report of any channel, received on or after the scan start, to the handlers
  and heads who hold it (p6);
* ``follow_up``: a reporter's message, to the holders of its case;
* ``deadline_tomorrow`` / ``deadline_today`` / ``deadline_overdue``: every open deadline
  (p7, p8, p9, p18, p19, p20, from cases.deadlines), to the holders; overdue ones also to every
  head;
* ``unopened``: a report nobody opened by the end of its receipt day (p8 is due that day), to
  the heads;
* ``protection_ending``: a protected reporter's 3-year period (Appendix 3 (1), (7)) ending within
  30 days, to the heads.

The ledger (store.models.Notice) has one row per person and event, under a keyed tag of the
event. A pass claims the rows it will send (`claim`): a row another worker inserted or claimed is
skipped, so two workers never send one notice twice. After a user's mail is accepted by the
server, `mark_sent` records it in its own short transaction; if the mail fails, `release` gives
the claim back and the notices stay owed, so the next pass sends them (an address the server
keeps refusing is retried each pass, and shown failing on the admin's page). A worker that dies
in between leaves rows claimed until their lease ends; the next pass after that sends them
again. That is the one case in which a
notice can come twice: the server took the mail and the worker died before recording it. The
window is one mail long, since each mail is recorded as soon as it is accepted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cases.deadlines import DeadlineRow, open_deadlines
from cases.facts import protection_end
from crypto import localbox
from rules.clock import local_date, require_aware
from store.models import (
    Case,
    Grant,
    Message,
    Notice,
    Protection,
    RecipientKey,
    Setting,
    Submission,
    User,
    new_id,
)

# What a user may turn off, and the notice kinds under each choice.
CHOICES: Mapping[str, tuple[str, ...]] = {
    "new_report": ("new_report",),
    "follow_up": ("follow_up",),
    "deadlines": ("deadline_tomorrow", "deadline_today", "deadline_overdue"),
    "unopened": ("unopened",),
    "protection_ending": ("protection_ending",),
}
KINDS: tuple[str, ...] = tuple(kind for kinds in CHOICES.values() for kind in kinds)
RECEIVING_ROLES = ("handler", "head")
PROTECTION_WARNING = timedelta(days=30)
# How long a claim keeps other workers off a notice: far longer than one mail takes, short
# enough that a notice held by a dead worker goes out in the next pass or the one after.
LEASE = timedelta(minutes=10)
TAG_PURPOSE = b"adal-notice"
STATUS_KEY = "notify.status"
SCAN_KEY = "notify.scan_from"


@dataclass(frozen=True)
class Event:
    kind: str
    key: str  # names what it is about; stored only as a keyed tag
    user_ids: frozenset[int]


@dataclass
class Pass:
    """What one pass did, for the command's output and the admin's page."""

    sent: int = 0  # mails accepted by the server
    notices: int = 0  # notices those mails carried
    failed: int = 0  # mails the server refused or could not take
    error: str = ""  # the last failure, as the server or the network said it
    per_user: dict[int, Counter[str]] = field(default_factory=dict)


# --- what the present state calls for -------------------------------------------------------


def _receivers(session: Session) -> dict[int, User]:
    return {
        u.id: u
        for u in session.scalars(
            select(User).where(User.active.is_(True), User.role.in_(RECEIVING_ROLES))
        )
    }


def _holders(session: Session, envelope_ids: Iterable[str]) -> dict[str, set[int]]:
    """Report envelope id -> the users whose active key holds it."""
    ids = list(dict.fromkeys(envelope_ids))
    holders: dict[str, set[int]] = defaultdict(set)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Grant.envelope_id, RecipientKey.user_id)
            .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
            .where(
                Grant.envelope_id.in_(ids[start : start + 500]),
                RecipientKey.active.is_(True),
                RecipientKey.user_id.is_not(None),
            )
        )
        for envelope_id, user_id in rows:
            holders[envelope_id].add(user_id)
    return holders


def scan_from(session: Session, today: date) -> date:
    """New reports and follow-ups are looked for from this day on: the day before the last
    completed pass, so a worker that was stopped for a while misses nothing, and a first pass
    after installing looks back one day, not through years of reports."""
    row = session.get(Setting, SCAN_KEY)
    if row is not None:
        try:
            return min(date.fromisoformat(str(row.value["date"])), today - timedelta(days=1))
        except (KeyError, TypeError, ValueError):
            pass
    return today - timedelta(days=1)


def _deadline_phase(row: DeadlineRow, today: date) -> str | None:
    due_day = (
        local_date(row.deadline.due) if row.deadline.due is not None else row.deadline.due_date
    )
    if row.state == "overdue":
        return "deadline_overdue"
    if due_day == today:
        return "deadline_today"
    if due_day == today + timedelta(days=1):
        return "deadline_tomorrow"
    return None


def events(session: Session, now: datetime) -> list[Event]:
    """Every notice the present state calls for, sent or not (the ledger tells which)."""
    require_aware(now, "now")
    today = local_date(now)
    receivers = _receivers(session)
    heads = frozenset(i for i, u in receivers.items() if u.role == "head")
    since = scan_from(session, today)
    out: list[Event] = []

    new = list(
        session.execute(
            select(Submission.id, Submission.report_envelope_id).where(
                Submission.received_on >= since
            )
        )
    )
    follow_ups = list(
        session.execute(
            select(Message.id, Submission.report_envelope_id)
            .join(Submission, Submission.id == Message.submission_id)
            .where(Message.direction == "from_reporter", Message.created_on >= since)
        )
    )
    unopened = list(
        session.execute(
            select(Submission.id)
            .outerjoin(Case, Case.submission_id == Submission.id)
            .where(Case.id.is_(None), Submission.received_on < today)
        )
    )
    deadlines = [
        (row, phase)
        for row in open_deadlines(session, now)
        if (phase := _deadline_phase(row, today)) is not None
    ]
    envelope_of = (
        dict(
            session.execute(
                select(Submission.id, Submission.report_envelope_id).where(
                    Submission.id.in_({row.submission_id for row, _ in deadlines})
                )
            ).all()
        )
        if deadlines
        else {}
    )
    holders = _holders(
        session,
        [e for _, e in new] + [e for _, e in follow_ups] + list(envelope_of.values()),
    )

    def held(envelope_id: str) -> frozenset[int]:
        return frozenset(holders.get(envelope_id, set()))

    out += [Event("new_report", f"report:{sid}", held(env)) for sid, env in new]
    out += [Event("follow_up", f"follow-up:{mid}", held(env)) for mid, env in follow_ups]
    out += [Event("unopened", f"unopened:{sid}", heads) for (sid,) in unopened]
    for row, phase in deadlines:
        due = row.deadline.due.isoformat() if row.deadline.due else str(row.deadline.due_date)
        to = held(envelope_of.get(row.submission_id, ""))
        if phase == "deadline_overdue":
            to |= heads
        key = f"deadline:{row.submission_id}:{row.key}:{row.matter_id}:{due}:{phase}"
        out.append(Event(phase, key, to))
    for case in session.scalars(select(Case).join(Protection, Protection.case_id == Case.id)):
        ends = protection_end(case)
        if today <= ends <= today + PROTECTION_WARNING:
            out.append(Event("protection_ending", f"protection:{case.id}:{ends}", heads))
    return out


def receives(user: User, kind: str) -> bool:
    """Whether this user gets this kind of notice: an active handler or head with a confirmed
    address who has not turned it off."""
    off = set(user.notices_off.split())
    return (
        user.active
        and user.role in RECEIVING_ROLES
        and user.email_confirmed
        and bool(user.email)
        and not any(kind in kinds for choice, kinds in CHOICES.items() if choice in off)
    )


# --- the ledger -----------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notice)


def claim(
    session: Session, secret: bytes, owed: Sequence[Event], now: datetime
) -> tuple[str, dict[int, Counter[str]]]:
    """Claim for this pass every owed notice nobody has recorded yet, and every one whose
    claim ran out (its worker died). Returns the claim token and, per user, the kinds claimed.
    The caller commits before sending anything, so other workers see the claims."""
    # In UTC: SQLite keeps a timestamp's wall-clock digits and compares them as text, so a
    # claim made at a Kazakh-time `now` would outlast its lease for a UTC pass by five hours,
    # and a UTC claim would look ended at once to a Kazakh-time pass.
    now = require_aware(now, "now").astimezone(UTC)
    token = new_id()
    until = now + LEASE
    users = _receivers(session)
    rows = []
    for event in owed:
        tag = localbox.tag(secret, TAG_PURPOSE, event.key.encode())
        for user_id in sorted(event.user_ids):
            user = users.get(user_id)
            if user is not None and receives(user, event.kind):
                rows.append(
                    {
                        "id": new_id(),
                        "user_id": user_id,
                        "tag": tag,
                        "kind": event.kind,
                        "claim": token,
                        "claimed_until": until,
                    }
                )
    for start in range(0, len(rows), 500):
        session.execute(
            _insert(session)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["user_id", "tag"])
        )
    _take_over(session, token, until, now, users)
    claimed: dict[int, Counter[str]] = defaultdict(Counter)
    for user_id, kind in session.execute(
        select(Notice.user_id, Notice.kind).where(Notice.claim == token)
    ):
        claimed[user_id][kind] += 1
    return token, dict(claimed)


def _take_over(
    session: Session, token: str, until: datetime, now: datetime, users: Mapping[int, User]
) -> None:
    """Claim the notices still owed from earlier passes: returned by a failed mail, or held by
    a worker whose lease ran out. One whose person no longer receives that kind (turned it off,
    removed the address, left) is dropped instead. The condition is repeated in each statement,
    so a row another worker took meanwhile is left to it."""
    waiting = (Notice.sent_on.is_(None)) & (Notice.claim.is_(None) | (Notice.claimed_until < now))
    keep: list[str] = []
    drop: list[str] = []
    for notice_id, user_id, kind in session.execute(
        select(Notice.id, Notice.user_id, Notice.kind).where(waiting)
    ):
        user = users.get(user_id)
        (keep if user is not None and receives(user, kind) else drop).append(notice_id)
    for start in range(0, len(keep), 500):
        session.execute(
            update(Notice)
            .where(Notice.id.in_(keep[start : start + 500]), waiting)
            .values(claim=token, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
    for start in range(0, len(drop), 500):
        session.execute(
            delete(Notice)
            .where(Notice.id.in_(drop[start : start + 500]), waiting)
            .execution_options(synchronize_session=False)
        )


def mark_sent(session: Session, token: str, user_id: int, today: date) -> None:
    session.execute(
        update(Notice)
        .where(Notice.claim == token, Notice.user_id == user_id)
        .values(claim=None, claimed_until=None, sent_on=today)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, token: str, user_id: int) -> None:
    """Give back a claim whose mail did not go out: the notices stay owed, and the next pass
    claims them again."""
    session.execute(
        update(Notice)
        .where(Notice.claim == token, Notice.user_id == user_id)
        .values(claim=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


# --- what the admin's page shows --------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    last_pass: datetime | None
    sent: int
    failed: int
    last_error: str


def status(session: Session) -> Status:
    row = session.get(Setting, STATUS_KEY)
    value: dict[str, Any] = row.value if row is not None else {}
    try:
        last = datetime.fromisoformat(value["last_pass"]) if value.get("last_pass") else None
    except (TypeError, ValueError):
        last = None
    return Status(
        last,
        int(value.get("sent", 0) or 0),
        int(value.get("failed", 0) or 0),
        str(value.get("last_error", "") or ""),
    )


def record_pass(session: Session, result: Pass, now: datetime) -> None:
    """Store what the pass did, and move the scan start on: what a failed mail carried stays
    owed in the ledger, so it need not be found again."""
    value = {
        "last_pass": now.isoformat(),
        "sent": result.sent,
        "failed": result.failed,
        # The last error stays shown until a pass succeeds, so an admin sees why mail stopped.
        "last_error": result.error if result.failed else "",
    }
    _put(session, STATUS_KEY, value)
    _put(session, SCAN_KEY, {"date": (local_date(now) - timedelta(days=1)).isoformat()})


def _put(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
