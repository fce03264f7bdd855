"""The facts the official letters are prefilled from (documents.letters), read from plain columns
and workflow details: dates, a channel, kinds. Nothing here decrypts: a letter carries no
report content, and the one letter that names the reporter (the notice of the decision,
Appendix 3 (4)) gets the name from the identity block, which the back office opens for a head.

Which letters a case offers:

* the cover letter to the Anti-Corruption Service (p9): every case;
* the notice of the decision (Appendix 3 (4)): a case whose reporter is known, never an
  anonymous one (p12 explains rights "except when the report came anonymously");
* the letters to the authorised body for civil service affairs (p18, p19): a protection matter
  of the case; the p19 letter once the commission's decision date is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.facts import case_events
from rules.clock import local_date
from rules.errors import AdalError
from rules.workflow import Event, Step, detail_date, detail_datetime
from store.models import Case, Protection, ProtectionMatter

AREA = "letters"  # of the AdalError codes raised here
CASE_LETTERS = ("confirmation_cover", "decision_notice")
MATTER_LETTERS = ("agency_materials", "agency_decision")


@dataclass(frozen=True)
class CaseLetterFacts:
    received_on: date
    channel: str
    anonymous: bool
    kns_notified_on: date | None  # p8: the day of the 1424 call
    outgoing_number: str  # p9: the written confirmation's outgoing letter, when recorded
    outgoing_date: date | None
    decision_on: date | None  # the day the authorised body's decision was received


@dataclass(frozen=True)
class MatterLetterFacts:
    kind: str  # store.models.MATTER_KINDS
    body: str  # store.models.MATTER_BODIES
    meeting_on: date | None
    decided_on: date | None


def _last(events: list[Event], step: Step) -> Event | None:
    found = [e for e in events if e.kind == step]
    return found[-1] if found else None


def case_letter_facts(case: Case) -> CaseLetterFacts:
    """What the case letters are prefilled from; the latest record of each step counts."""
    events = case_events(case)
    call = _last(events, Step.KNS_NOTIFIED)
    sent = _last(events, Step.CONFIRMATION_SENT)
    decision = _last(events, Step.DECISION_RECEIVED)
    called_on = None
    if call is not None:
        try:
            called_on = local_date(detail_datetime(call.details, "call_time"))
        except (KeyError, ValueError):
            called_on = local_date(call.at)
    outgoing_date = None
    if sent is not None:
        try:
            outgoing_date = detail_date(sent.details, "outgoing_date")
        except (KeyError, ValueError):
            outgoing_date = None
    return CaseLetterFacts(
        received_on=case.submission.received_on,
        channel=case.submission.channel,
        anonymous=case.anonymous,
        kns_notified_on=called_on,
        outgoing_number=sent.details.get("outgoing_number", "") if sent is not None else "",
        outgoing_date=outgoing_date,
        decision_on=local_date(decision.at) if decision is not None else None,
    )


def letter_offered(case: Case, kind: str) -> bool:
    """Whether the case offers this case letter (the notice only to a known reporter)."""
    if kind == "confirmation_cover":
        return True
    if kind == "decision_notice":
        return not case.anonymous
    return False


def check_case_letter(case: Case, kind: str) -> None:
    """Raise AdalError (area "letters") unless the case offers this letter: ``unknown`` for a
    kind that is not a case letter, ``anonymous`` for the notice of an anonymous case."""
    if kind not in CASE_LETTERS:
        raise AdalError(AREA, "unknown", f"no case letter {kind!r}")
    if not letter_offered(case, kind):
        raise AdalError(AREA, "anonymous", "an anonymous reporter cannot be sent a notice")


def case_matter(session: Session, case: Case, matter_id: int) -> ProtectionMatter | None:
    """The protection matter ``matter_id`` if it belongs to this case, else None."""
    return session.scalar(
        select(ProtectionMatter)
        .join(Protection, ProtectionMatter.protection_id == Protection.id)
        .where(ProtectionMatter.id == matter_id, Protection.case_id == case.id)
    )


def matter_letter_facts(matter: ProtectionMatter, kind: str) -> MatterLetterFacts:
    """What the p18 / p19 letter is prefilled from. Raises AdalError (area "letters"):
    ``unknown`` for a kind that is not a matter letter, ``not_decided`` for the p19 letter
    before the decision's date is recorded (the copy follows the decision)."""
    if kind not in MATTER_LETTERS:
        raise AdalError(AREA, "unknown", f"no matter letter {kind!r}")
    if kind == "agency_decision" and matter.decided_on is None:
        raise AdalError(AREA, "not_decided", "the commission's decision is not recorded yet")
    return MatterLetterFacts(
        kind=matter.kind,
        body=matter.body,
        meeting_on=matter.meeting_on,
        decided_on=matter.decided_on,
    )
