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

from cases import lists, scope
from cases.deadlines import DeadlineRow
from cases.facts import protection_end
from crypto import localbox
from rules.clock import local_date, require_aware, start_of_local_day
from store.models import (
    Case,
    Grant,
    ListDeadline,
    Message,
    Notice,
    NotifyState,
    Protection,
    RecipientKey,
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
STATUS_KEY = "status"
SCAN_KEY = "scan_from"
WINDOW_KEY = "window"
KEEP_SENT = timedelta(days=60)


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
    # The same per organization of the receivers: each organization's admin sees only its own.
    by_org: dict[int, OrgPass] = field(default_factory=dict)

    def count(self, org_id: int | None, *, sent: bool, error: str = "") -> None:
        """One mail to a receiver of `org_id`, accepted (`sent`) or not."""
        if sent:
            self.sent += 1
        else:
            self.failed += 1
            self.error = error
        if org_id is None:
            return
        mine = self.by_org.setdefault(org_id, OrgPass())
        if sent:
            mine.sent += 1
        else:
            mine.failed += 1
            mine.error = error


@dataclass
class OrgPass:
    sent: int = 0
    failed: int = 0
    error: str = ""


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
    stored = _state(session, SCAN_KEY).get("date")
    if stored is not None:
        try:
            return min(date.fromisoformat(str(stored)), today - timedelta(days=1))
        except (TypeError, ValueError):
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


def _due_by_tomorrow(session: Session, now: datetime, today: date) -> list[DeadlineRow]:
    """The open deadlines that are overdue or fall due by the end of tomorrow, from the stored
    list columns (cases.lists, the deadlines page's rows) rather than the rules rerun over every
    case: one range of the open-deadline index. A deadline due on day D is late from the end of
    D at the latest, so ``late_at`` before the start of the day after tomorrow's next day takes
    every candidate; _deadline_phase picks the exact ones. The portal's new reports owe their
    p8 and p9 too: the caller lists them first (lists.catch_up_committed, in a transaction of
    its own, so that two workers listing the same report at once cannot fail the pass)."""
    horizon = start_of_local_day(today + timedelta(days=3))
    return [
        lists.stored_row(stored, now)
        for stored in session.scalars(
            select(ListDeadline)
            .where(*lists.OPEN, ListDeadline.late_at < horizon)
            .order_by(ListDeadline.late_at, ListDeadline.id)
        )
    ]


def events(session: Session, now: datetime) -> list[Event]:
    """Every notice the present state calls for, sent or not (the ledger tells which)."""
    require_aware(now, "now")
    today = local_date(now)
    receivers = _receivers(session)
    heads_by_org: dict[int | None, set[int]] = defaultdict(set)
    for i, u in receivers.items():
        if u.role == "head":
            heads_by_org[u.org_id].add(i)

    def heads(org_id: int | None) -> frozenset[int]:
        """The heads of the event's organization, and nobody else's (issue 13)."""
        return frozenset(heads_by_org.get(org_id, set())) if org_id is not None else frozenset()

    def of(org_id: int | None, users: Iterable[int]) -> frozenset[int]:
        """Only receivers of the event's organization: a key of another one never holds its
        report, and its staff learn nothing of it, not even that something happened."""
        return frozenset(
            u for u in users if u in receivers and scope.same_org(receivers[u].org_id, org_id)
        )

    since = scan_from(session, today)
    out: list[Event] = []

    new = list(
        session.execute(
            select(Submission.id, Submission.report_envelope_id, Submission.org_id).where(
                Submission.received_on >= since
            )
        )
    )
    follow_ups = list(
        session.execute(
            select(Message.id, Submission.report_envelope_id, Submission.org_id)
            .join(Submission, Submission.id == Message.submission_id)
            .where(Message.direction == "from_reporter", Message.created_on >= since)
        )
    )
    unopened = list(
        session.execute(
            select(Submission.id, Submission.org_id)
            .outerjoin(Case, Case.submission_id == Submission.id)
            .where(Case.id.is_(None), Submission.received_on < today)
        )
    )
    deadlines = [
        (row, phase)
        for row in _due_by_tomorrow(session, now, today)
        if (phase := _deadline_phase(row, today)) is not None
    ]
    envelope_of: dict[str, tuple[str, int | None]] = (
        {
            sid: (env, org)
            for sid, env, org in session.execute(
                select(Submission.id, Submission.report_envelope_id, Submission.org_id).where(
                    Submission.id.in_({row.submission_id for row, _ in deadlines})
                )
            )
        }
        if deadlines
        else {}
    )
    holders = _holders(
        session,
        [e for _, e, _o in new]
        + [e for _, e, _o in follow_ups]
        + [e for e, _o in envelope_of.values()],
    )

    def held(envelope_id: str) -> frozenset[int]:
        return frozenset(holders.get(envelope_id, set()))

    out += [Event("new_report", f"report:{sid}", of(org, held(env))) for sid, env, org in new]
    out += [
        Event("follow_up", f"follow-up:{mid}", of(org, held(env))) for mid, env, org in follow_ups
    ]
    out += [Event("unopened", f"unopened:{sid}", heads(org)) for sid, org in unopened]
    for row, phase in deadlines:
        due = row.deadline.due.isoformat() if row.deadline.due else str(row.deadline.due_date)
        env, org = envelope_of.get(row.submission_id, ("", None))
        to = of(org, held(env))
        if phase == "deadline_overdue":
            to |= heads(org)
        key = f"deadline:{row.submission_id}:{row.key}:{row.matter_id}:{due}:{phase}"
        out.append(Event(phase, key, to))
    for case in session.scalars(select(Case).join(Protection, Protection.case_id == Case.id)):
        ends = protection_end(case)
        if today <= ends <= today + PROTECTION_WARNING:
            to = heads(case.submission.org_id)
            out.append(Event("protection_ending", f"protection:{case.id}:{ends}", to))
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


def renew(session: Session, token: str, user_id: int, now: datetime) -> bool:
    """Extend this pass's claim on a user's notices before mailing them; False when another
    worker took them over meanwhile (this pass outlived its lease), and then this one must not
    send them."""
    now = require_aware(now, "now").astimezone(UTC)
    result = session.execute(
        update(Notice)
        .where(Notice.claim == token, Notice.user_id == user_id, Notice.sent_on.is_(None))
        .values(claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


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
    """What the admin's page shows: whether the worker runs and works, not when reports came.

    Per-pass counts would give an admin who reloads the page each window the times at which
    reports and follow-ups arrive, so counts are shown only as totals of the last seven whole
    days; the last pass is shown as it is (it runs every window whatever happens)."""

    last_pass: datetime | None
    failing: bool  # the last pass could not send everything
    last_error: str
    week_sent: int  # mails accepted in the seven days before today
    week_failed: int


def _state(session: Session, key: str) -> dict[str, Any]:
    row = session.get(NotifyState, key)
    return dict(row.value) if row is not None else {}


def _put(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(NotifyState, key)
    if row is None:
        session.add(NotifyState(key=key, value=value))
    else:
        row.value = value


def _days(value: Mapping[str, Any]) -> dict[str, list[int]]:
    days = value.get("days")
    if not isinstance(days, dict):
        return {}
    out = {}
    for day, counts in days.items():
        try:
            date.fromisoformat(day)
            out[day] = [int(counts[0]), int(counts[1])]
        except (TypeError, ValueError, IndexError, KeyError):
            continue
    return out


def status(session: Session, today: date, org_id: int) -> Status:
    """The worker's state as one organization's admin sees it: its last pass (the worker is
    the platform's), and the counts, failure and error of mails to that organization's staff
    only."""
    value = _state(session, STATUS_KEY)
    orgs = value.get("orgs")
    mine = orgs.get(str(org_id)) if isinstance(orgs, dict) else None
    mine = mine if isinstance(mine, dict) else {}
    try:
        last = datetime.fromisoformat(value["last_pass"]) if value.get("last_pass") else None
    except (TypeError, ValueError):
        last = None
    week = {(today - timedelta(days=n)).isoformat() for n in range(1, 8)}
    days = _days(mine)
    return Status(
        last,
        bool(mine.get("failing")),
        str(mine.get("last_error", "") or ""),
        sum(days[d][0] for d in days if d in week),
        sum(days[d][1] for d in days if d in week),
    )


def record_pass(session: Session, result: Pass, now: datetime) -> None:
    """Store what the pass did, and move the scan start on: what a failed mail carried stays
    owed in the ledger, so it need not be found again."""
    today = local_date(now)
    value = _state(session, STATUS_KEY)
    days = {
        d: c for d, c in _days(value).items() if date.fromisoformat(d) > today - timedelta(days=8)
    }
    sent, failed = days.get(today.isoformat(), [0, 0])
    days[today.isoformat()] = [sent + result.sent, failed + result.failed]
    orgs = value.get("orgs") if isinstance(value.get("orgs"), dict) else {}
    by_org: dict[str, Any] = {}
    for key in {*orgs, *(str(o) for o in result.by_org)}:
        before = orgs.get(key) if isinstance(orgs.get(key), dict) else {}
        now_pass = result.by_org.get(int(key), OrgPass()) if key.isdigit() else OrgPass()
        org_days = {
            d: c
            for d, c in _days(before).items()
            if date.fromisoformat(d) > today - timedelta(days=8)
        }
        o_sent, o_failed = org_days.get(today.isoformat(), [0, 0])
        org_days[today.isoformat()] = [o_sent + now_pass.sent, o_failed + now_pass.failed]
        by_org[key] = {
            "failing": bool(now_pass.failed),
            "last_error": now_pass.error if now_pass.failed else "",
            "days": org_days,
        }
    _put(
        session,
        STATUS_KEY,
        {
            "last_pass": now.isoformat(),
            "failing": bool(result.failed),
            # Kept until a pass succeeds, so an admin sees why mail stopped.
            "last_error": result.error if result.failed else "",
            "days": days,
            "orgs": by_org,
        },
    )
    _put(session, SCAN_KEY, {"date": (today - timedelta(days=1)).isoformat()})
    prune(session, today)


def prune(session: Session, today: date) -> int:
    """Forget notices sent more than KEEP_SENT ago: who was told of what outlives no purpose.
    A deadline still overdue or a report still unopened after that is announced once more,
    as a reminder."""
    result = session.execute(
        delete(Notice)
        .where(Notice.sent_on < today - KEEP_SENT)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def window_spent(session: Session, window: int) -> bool:
    """Whether the batching window `window` (adal_cli.notify.window_of) had its pass."""
    return window >= 0 and _state(session, WINDOW_KEY).get("window") == window


def spend_window(session: Session, window: int, now: datetime) -> None:
    _put(session, WINDOW_KEY, {"window": window, "at": now.isoformat()})


def last_spent(session: Session) -> datetime | None:
    """When the last pass that spent its window ran."""
    at = _state(session, WINDOW_KEY).get("at")
    try:
        return datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        return None
