"""The case workflow of Section 2 (p6–p12) as a list of append-only events.

A case is its facts (:class:`CaseFacts`) plus the events recorded so far. Nothing is ever
updated in place: :func:`apply` validates one new step against the history and returns the
:class:`Event` for the caller to store. The same checks drive :func:`available_steps`, so the
back office never offers a button that :func:`apply` would refuse.

Order (each step needs only what it lists; otherwise steps may happen in any order, because the
head works on several duties at once):

========================  ===============================================================
registered                first, exactly once. p6: a report may not be refused, so there is
                          no reject step; a case closes early only with a recorded reason
                          (closed_without_decision).
nda_intention             after registered; records an NDA intention the reporter expressed
                          after the report (in person, in the mailbox). An intention ticked
                          on the report form is already known from ``CaseFacts.nda_intended``.
nda_signed                after registered, only if an intention is known (p7).
nda_declined              after registered, only if an intention is known and no NDA is signed
                          yet: the reporter withdrew the intention or refused to sign. p7 makes
                          the NDA a duty only "при наличии его намерения", so without this step
                          a withdrawn intention would leave a case that can never close. A
                          later change of mind can still be recorded as nda_signed.
kns_notified              after registered (p8, 1424 call).
confirmation_sent         after kns_notified (p9: the written confirmation follows the call).
rights_explained          after registered; never for anonymous reports (p12).
decision_received         after confirmation_sent (the authorised body decides on what it
                          received in writing).
reporter_informed         after decision_received (Appendix 3, right 4).
closed                    after reporter_informed, and, for a reporter whose identity is known,
                          after rights_explained and (if an NDA is owed, see :func:`nda_owed`)
                          nda_signed: a careful head must not file away a case with an open
                          legal duty.
closed_without_decision   instead of closed, while no decision is received: the
                          Anti-Corruption Service may never send one, and the text sets no
                          term for it. Needs a ``reason`` (:data:`CLOSING_REASONS`) and its
                          detail: ``no_decision`` with the date by which none had come
                          (``no_decision_by``, after confirmation_sent: only a body that
                          received the report in writing can owe a decision); ``transferred``
                          with to whom (``transferred_to``, after kns_notified: the 1424
                          notice is owed whoever takes the case over, p8); ``duplicate`` with
                          the case it repeats (``duplicate_of``; that case carries the
                          duties). For a known reporter, the first two also wait for
                          rights_explained and an owed NDA, like closed.
========================  ===============================================================

Anonymous reports: the NDA (p7, form 1 of order No 153) is an agreement signed by the employee,
so it needs a known counterpart; p12 exempts anonymous reports from the rights explanation. For
an anonymous case the NDA steps and rights_explained are therefore refused with
``not_applicable_anonymous`` even if the reporter ticked "I intend to sign an NDA" (the form
allows it: the back office should then invite the reporter, through the mailbox, to disclose
their identity). If the reporter later discloses their identity, the caller passes facts with
``anonymous=False`` and the steps become available.

Who records what (p7, p9, and the closing): signing the NDA, sending the written confirmation and
closing the case are the head's duties. A handler may prepare them and record them, but only on
the head's instruction, naming the head (detail ``on_instruction_of``, kept in the event); a head
records them in their own name. See :data:`HEAD_STEPS`.

Time: ``Event.at`` is when the step was recorded (server clock, UTC). Where the legal deadline
turns on an outside moment that may be recorded later, the details carry that moment and
deadlines are judged on it: the 1424 call time, the outgoing letter's date, the NDA signing time,
the moment the reporter declined it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, TypeVar

from rules.clock import KZ_TZ, local_date, require_aware
from rules.errors import AdalError

__all__ = [
    "CLOSING_REASONS",
    "CLOSING_STEPS",
    "HEAD_STEPS",
    "INSTRUCTION",
    "PUBLIC_STATUSES",
    "CaseFacts",
    "Event",
    "PublicStatus",
    "Step",
    "apply",
    "available_steps",
    "detail_date",
    "detail_datetime",
    "done_steps",
    "nda_intended",
    "nda_owed",
    "public_status",
]


class Step(StrEnum):
    REGISTERED = "registered"
    NDA_INTENTION = "nda_intention"
    NDA_SIGNED = "nda_signed"
    NDA_DECLINED = "nda_declined"
    KNS_NOTIFIED = "kns_notified"
    CONFIRMATION_SENT = "confirmation_sent"
    RIGHTS_EXPLAINED = "rights_explained"
    DECISION_RECEIVED = "decision_received"
    REPORTER_INFORMED = "reporter_informed"
    CLOSED = "closed"
    CLOSED_WITHOUT_DECISION = "closed_without_decision"


# Either ends the case; nothing can be recorded after it.
CLOSING_STEPS = frozenset({Step.CLOSED, Step.CLOSED_WITHOUT_DECISION})
# Why a case is closed without the authorised body's decision, and the detail each needs.
CLOSING_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "no_decision": "no_decision_by",
        "transferred": "transferred_to",
        "duplicate": "duplicate_of",
    }
)
# The step a reason needs first (see the table above).
_REASON_REQUIRES: Mapping[str, Step] = MappingProxyType(
    {
        "no_decision": Step.CONFIRMATION_SENT,
        "transferred": Step.KNS_NOTIFIED,
        "duplicate": Step.REGISTERED,
    }
)
# Plain strings so templates can use them as translation msgids.
PublicStatus = Literal["received", "in_review", "forwarded", "decided", "closed"]
PUBLIC_STATUSES: tuple[PublicStatus, ...] = (
    "received",
    "in_review",
    "forwarded",
    "decided",
    "closed",
)

# Prerequisites that hold for every case; the identity-dependent ones for `closed` are added in
# _prerequisites().
_REQUIRES: Mapping[Step, tuple[Step, ...]] = {
    Step.REGISTERED: (),
    Step.NDA_INTENTION: (Step.REGISTERED,),
    Step.NDA_SIGNED: (Step.REGISTERED,),
    Step.NDA_DECLINED: (Step.REGISTERED,),
    Step.KNS_NOTIFIED: (Step.REGISTERED,),
    Step.CONFIRMATION_SENT: (Step.KNS_NOTIFIED,),
    Step.RIGHTS_EXPLAINED: (Step.REGISTERED,),
    Step.DECISION_RECEIVED: (Step.CONFIRMATION_SENT,),
    Step.REPORTER_INFORMED: (Step.DECISION_RECEIVED,),
    Step.CLOSED: (Step.REPORTER_INFORMED,),
    Step.CLOSED_WITHOUT_DECISION: (Step.REGISTERED,),
}

_NEEDS_IDENTITY = frozenset(
    {Step.NDA_INTENTION, Step.NDA_SIGNED, Step.NDA_DECLINED, Step.RIGHTS_EXPLAINED}
)

# Details that must be present and non-blank. A tuple inside the tuple means "at least one of".
_REQUIRED_DETAILS: Mapping[Step, tuple[str | tuple[str, ...], ...]] = {
    # p8: proof of the call is the time plus who took it or the call-centre's reference.
    Step.KNS_NOTIFIED: ("call_time", ("operator", "call_reference")),
    # p9: the written confirmation is an outgoing letter, identified by its number and date.
    Step.CONFIRMATION_SENT: ("outgoing_number", "outgoing_date"),
    # p7: the 24-hour limit is judged on the moment of signing, not of data entry.
    Step.NDA_SIGNED: ("signed_at",),
    # A lapsed legal duty needs its evidence: the written statement, the mailbox message, the
    # note of the conversation. `declined_at` (optional) is the moment the reporter said so.
    Step.NDA_DECLINED: ("basis",),
    Step.CLOSED_WITHOUT_DECISION: ("reason",),
}
# The head's own duties: p7 (the head concludes the NDA), p9 (the head sends the written
# confirmation) and closing the case, which ends the head's handling of it.
HEAD_STEPS = frozenset({Step.NDA_SIGNED, Step.CONFIRMATION_SENT, Step.CLOSED})
INSTRUCTION = "on_instruction_of"  # detail: the head on whose instruction a handler recorded it
_DATETIME_DETAILS = frozenset({"call_time", "signed_at", "declined_at"})
_DATE_DETAILS = frozenset({"outgoing_date", "no_decision_by"})
AREA = "workflow"  # of the AdalError codes raised here
_Moment = TypeVar("_Moment", date, datetime)


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime
    actor: str
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class CaseFacts:
    received_at: datetime
    anonymous: bool
    nda_intended: bool

    def __post_init__(self) -> None:
        require_aware(self.received_at, "received_at")


def done_steps(events: Sequence[Event]) -> frozenset[str]:
    return frozenset(e.kind for e in events)


def nda_intended(facts: CaseFacts, events: Sequence[Event]) -> bool:
    """Whether an NDA is owed: an intention on the report or recorded later, and a known
    counterpart to sign with."""
    if facts.anonymous:
        return False
    return facts.nda_intended or Step.NDA_INTENTION in done_steps(events)


def nda_owed(facts: CaseFacts, events: Sequence[Event]) -> bool:
    """Whether closing still waits for a signed NDA: one is intended and the reporter has not
    declined it. A signed NDA after a decline is accepted (a change of mind), but not required.
    """
    return nda_intended(facts, events) and Step.NDA_DECLINED not in done_steps(events)


def _prerequisites(
    facts: CaseFacts, events: Sequence[Event], step: Step, reason: str | None = None
) -> tuple[Step, ...]:
    required = list(_REQUIRES[step])
    if reason is not None:
        required.append(_REASON_REQUIRES[reason])
    if (step is Step.CLOSED or reason in ("no_decision", "transferred")) and not facts.anonymous:
        required.append(Step.RIGHTS_EXPLAINED)
        if nda_owed(facts, events):
            required.append(Step.NDA_SIGNED)
    return tuple(required)


def _refusal(facts: CaseFacts, events: Sequence[Event], step: Step) -> AdalError | None:
    """Why ``step`` cannot be taken now, judged on state alone (not on time or details)."""
    done = done_steps(events)
    if CLOSING_STEPS & done:
        if step in CLOSING_STEPS:
            return AdalError(AREA, "repeated", "the case is already closed")
        return AdalError(AREA, "case_closed", "the case is closed; nothing more can be recorded")
    if step in done:
        return AdalError(AREA, "repeated", f"{step} has already been recorded")
    if facts.anonymous and step in _NEEDS_IDENTITY:
        return AdalError(
            AREA,
            "not_applicable_anonymous",
            f"{step} needs a known reporter and this report is anonymous",
        )
    if step is Step.NDA_INTENTION and facts.nda_intended:
        return AdalError(AREA, "repeated", "the NDA intention is already stated on the report")
    if step in (Step.NDA_SIGNED, Step.NDA_DECLINED) and not nda_intended(facts, events):
        return AdalError(
            AREA,
            "not_applicable_no_intention",
            "no NDA intention is recorded; record the reporter's intention first",
        )
    if step is Step.NDA_DECLINED and Step.NDA_SIGNED in done:
        return AdalError(AREA, "nda_already_signed", "the NDA is already signed")
    if step is Step.CLOSED_WITHOUT_DECISION and Step.DECISION_RECEIVED in done:
        return AdalError(
            AREA,
            "decision_received",
            "a decision is received: inform the reporter and close the case",
        )
    missing = tuple(s for s in _prerequisites(facts, events, step) if s not in done)
    if missing:
        names = ", ".join(missing)
        return AdalError(AREA, "out_of_order", f"{step} must come after {names}", missing=missing)
    return None


def available_steps(facts: CaseFacts, events: Sequence[Event]) -> list[Step]:
    """The steps :func:`apply` would accept now (given valid details), in workflow order."""
    return [step for step in Step if _refusal(facts, events, step) is None]


def apply(
    facts: CaseFacts,
    events: Sequence[Event],
    step: Step | str,
    at: datetime,
    actor: str,
    details: Mapping[str, str] | None = None,
    *,
    actor_is_head: bool = True,
) -> Event:
    """Validate ``step`` against the history and return the new event (not stored here).

    ``actor_is_head``: whether ``actor`` is a head. The store passes the signed-in user's real
    role; for a step of :data:`HEAD_STEPS` anyone else must name the instructing head in the
    ``on_instruction_of`` detail (code ``head_duty:on_instruction_of``). A head's own entry
    keeps no such detail: it is recorded in the head's name.

    Raises :class:`~rules.errors.AdalError` (area ``workflow``) with one of the codes:
    ``unknown_step``, ``missing_actor``, ``case_closed``, ``repeated``,
    ``not_applicable_anonymous``, ``not_applicable_no_intention``, ``nda_already_signed``,
    ``out_of_order`` (params: ``missing``, the steps still needed), ``not_chronological``,
    ``missing_detail:<name>``, ``invalid_detail:<name>``.
    """
    try:
        step = Step(step)
    except ValueError:
        raise AdalError(AREA, "unknown_step", f"no such step: {step!r}") from None
    require_aware(at, "at")
    if not actor.strip():
        raise AdalError(AREA, "missing_actor", "every step must name who recorded it")
    refusal = _refusal(facts, events, step)
    if refusal is not None:
        raise refusal
    # The history is append-only and audited; an entry dated before its predecessor, or before
    # the report existed, is a data-entry or clock error that would corrupt the deadline view.
    floor = max([facts.received_at, *(e.at for e in events)])
    if at < floor:
        raise AdalError(
            AREA,
            "not_chronological",
            f"{step} at {at.isoformat()} is earlier than {floor.isoformat()}",
        )
    clean = _clean_details(details or {})
    if step in HEAD_STEPS:
        if actor_is_head:
            clean.pop(INSTRUCTION, None)
        elif INSTRUCTION not in clean:
            raise AdalError(
                AREA,
                f"head_duty:{INSTRUCTION}",
                f"{step} is the head's duty: name the head on whose instruction it is recorded",
            )
    else:
        clean.pop(INSTRUCTION, None)
    _check_details(facts, step, at, clean)
    if step is Step.CLOSED_WITHOUT_DECISION:
        _check_reason(facts, events, clean)
    return Event(kind=step.value, at=at, actor=actor.strip(), details=MappingProxyType(clean))


def _clean_details(details: Mapping[str, str]) -> dict[str, str]:
    # Blank form fields arrive as "" or whitespace; treat them as absent so "required" means
    # something.
    return {k: v.strip() for k, v in details.items() if v and v.strip()}


def _check_details(facts: CaseFacts, step: Step, at: datetime, details: Mapping[str, str]) -> None:
    for requirement in _REQUIRED_DETAILS.get(step, ()):
        options = (requirement,) if isinstance(requirement, str) else requirement
        if not any(name in details for name in options):
            raise AdalError(
                AREA, f"missing_detail:{'|'.join(options)}", f"{step} needs {' or '.join(options)}"
            )
    # An outside moment must fall between the report and the recording of it: a call before the
    # report arrived, or a letter dated in the future, is a typo the head would sign off on.
    for name in _DATETIME_DETAILS & details.keys():
        # Handlers type minutes, the report carries seconds: compare from the report's minute.
        _check_between(
            details,
            name,
            detail_datetime,
            "a date-time",
            facts.received_at.replace(second=0, microsecond=0),
            at,
            "now",
        )
    for name in _DATE_DETAILS & details.keys():
        _check_between(
            details,
            name,
            detail_date,
            "a date",
            local_date(facts.received_at),
            local_date(at),
            "today",
        )


def _check_between(
    details: Mapping[str, str],
    name: str,
    parse: Callable[[Mapping[str, str], str], _Moment],
    kind: str,
    earliest: _Moment,
    latest: _Moment,
    latest_name: str,
) -> None:
    """Detail `name` must parse (as `kind`) and lie from `earliest` to `latest`."""
    try:
        value = parse(details, name)
    except ValueError:
        raise AdalError(AREA, f"invalid_detail:{name}", f"{name} is not {kind}") from None
    if not earliest <= value <= latest:
        raise AdalError(
            AREA, f"invalid_detail:{name}", f"{name} must lie between the report and {latest_name}"
        )


def _check_reason(facts: CaseFacts, events: Sequence[Event], details: Mapping[str, str]) -> None:
    """The reason for closing without a decision, its own detail, and the steps it needs."""
    reason = details["reason"]
    if reason not in CLOSING_REASONS:
        raise AdalError(AREA, "invalid_detail:reason", f"no such reason: {reason!r}")
    needed = CLOSING_REASONS[reason]
    if needed not in details:
        raise AdalError(AREA, f"missing_detail:{needed}", f"{reason} needs {needed}")
    done = done_steps(events)
    missing = tuple(
        s
        for s in _prerequisites(facts, events, Step.CLOSED_WITHOUT_DECISION, reason)
        if s not in done
    )
    if missing:
        names = ", ".join(missing)
        raise AdalError(
            AREA, "out_of_order", f"closing as {reason} must come after {names}", missing=missing
        )


def detail_datetime(details: Mapping[str, str], name: str) -> datetime:
    """Parse an ISO 8601 date-time detail; a value without offset is Kazakhstan time.

    Handlers type what the clock on their wall says (an HTML datetime-local field sends no
    offset), so naive input means Kazakhstan time, never UTC or the server's zone.
    """
    value = datetime.fromisoformat(details[name])
    if value.tzinfo is None:
        value = value.replace(tzinfo=KZ_TZ)
    return value


def detail_date(details: Mapping[str, str], name: str) -> date:
    """Parse an ISO 8601 date detail (``YYYY-MM-DD``)."""
    return date.fromisoformat(details[name])


def public_status(facts: CaseFacts, events: Sequence[Event]) -> PublicStatus:
    """The reporter-facing status: ``received``, ``in_review``, ``forwarded``, ``decided`` or
    ``closed``.

    Deliberately coarse: it never reveals who handled the case, NDA or identity matters, or
    internal dates. ``in_review`` once a person authorised to receive reports has registered
    it: a reporter who reads a reply must not still be told the report awaits that person.
    ``forwarded`` once the Anti-Corruption Service has been told (p8);
    ``decided`` once the authorised body's decision is in (the reporter is then owed the
    information, Appendix 3 right 4). ``facts`` is accepted for symmetry with the other
    functions; the public status intentionally depends on nothing about the reporter.
    """
    del facts
    done = done_steps(events)
    if CLOSING_STEPS & done:
        return "closed"
    if Step.DECISION_RECEIVED in done:
        return "decided"
    if Step.KNS_NOTIFIED in done:
        return "forwarded"
    if Step.REGISTERED in done:
        return "in_review"
    return "received"
