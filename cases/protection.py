"""Section 3: protecting a reporter whose identity is known.

* A **protection record** per case holds the protected employee's details sealed like the
  identity block (heads + recovery key, envelope purpose "protection"); the 3-year period is
  computed from the case (cases.facts.protection_start / protection_end).
* Its **register of matters**: each proposed disciplinary action, dismissal or transfer (p17),
  or labour dispute (p16), that a commission must consider with the civil service agency's
  representative invited, with its dates: invitation, meeting, materials sent (p18), decision,
  copy sent (p19); and, after the agency's notice under art. 24-4 p.2 of the Law, the day the
  employee's appeal reached the agency (p20) and the NDA owed then.

Plain columns hold dates, kinds and flags; what the measure is about is sealed. Audit entries
name the fields that changed, never their sealed content.

p16-p17 in practice: HR or the ethics officer (a handler) often keeps the commission's dates. A
head may share the protection record with a handler who holds the case (:func:`share_protection`
grants the record's envelope, audited); from then on that handler's key opens the record and
may enter the matters' dates (:func:`may_enter_dates`). Only heads open records, register
matters and share; the grant is what proves the share, not a flag a handler could set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import scope

# matter_deadlines lives with the other deadline rows (cases.deadlines), below this module, so
# the list writer (cases.lists) can compute them without importing it; re-exported here.
from cases.deadlines import matter_deadlines as matter_deadlines
from cases.facts import protection_end, protection_start
from cases.lists import refresh_case
from cases.sharing import active_key, case_holders
from crypto import keys as ckeys
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from rules.calendar import WorkCalendar
from rules.errors import AdalError
from store import audit, payloads, sealing
from store.models import (
    MATTER_BODIES,
    MATTER_KINDS,
    Case,
    Envelope,
    Protection,
    ProtectionMatter,
    Submission,
    User,
)
from store.recipients import identity_recipients, org_of

PROTECTION_FORMAT = "adal/protection/v1"  # full_name, position, unit, note
MATTER_FORMAT = "adal/protection-matter/v1"  # description
MAX_TEXT = 4000
AREA = "protection"  # of the AdalError codes raised here

# Dates that record something already done: none may lie in the future.
_PAST_DATES = (
    "agency_invited_on",
    "materials_sent_on",
    "decided_on",
    "copy_sent_on",
    "notice_received_on",
    "appeal_on",
    "nda_signed_on",
)
MATTER_DATES = ("agency_invited_on", "meeting_on", *_PAST_DATES[1:])
MATTER_FLAGS = ("agency_invited", "nda_required")


@dataclass(frozen=True)
class ProtectedPerson:
    full_name: str
    position: str = ""
    unit: str = ""
    note: str = ""

    def payload(self) -> dict[str, str]:
        return {
            "full_name": self.full_name.strip(),
            "position": self.position.strip(),
            "unit": self.unit.strip(),
            "note": self.note.strip(),
        }


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date  # inclusive

    def active(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on


def protection_of(session: Session, case: Case) -> Protection | None:
    return session.scalar(select(Protection).where(Protection.case_id == case.id))


def period(case: Case) -> Period:
    """The reporter's 3-year protection (Appendix 3 (1), (7)), from plain dates only."""
    return Period(protection_start(case), protection_end(case))


def _case_of(session: Session, protection: Protection) -> Case:
    case = session.get(Case, protection.case_id)
    assert case is not None  # a foreign key
    return case


def _seal(session: Session, case: Case, fmt: str, fields: Mapping[str, Any], today: date) -> str:
    for value in fields.values():
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise AdalError(AREA, "too_long", f"a text is at most {MAX_TEXT} characters")
    body = payloads.encode(fmt, dict(fields))
    envelope = sealing.seal(
        session, "protection", body, identity_recipients(session, org_of(case.submission)), today
    )
    # No ORM relationship links the rows to their envelope: insert it before they point at it.
    session.flush()
    return envelope.id


def create_protection(
    session: Session, case: Case, person: ProtectedPerson, actor: User, today: date
) -> Protection:
    """Open the protection record of a case whose reporter is known (audited).

    Refused for an anonymous case: there is nobody to protect by name, and asking for a name
    would defeat the anonymity (cases.workflow.mark_identity_known comes first if the reporter
    chose to come forward).
    """
    if case.anonymous:
        raise AdalError(
            AREA,
            "not_applicable_anonymous",
            "the reporter is anonymous; record their identity first",
        )
    if not person.full_name.strip():
        raise AdalError(AREA, "missing_name", "the protected employee's full name is needed")
    if protection_of(session, case) is not None:
        raise AdalError(AREA, "exists", "this case already has a protection record")
    envelope_id = _seal(session, case, PROTECTION_FORMAT, person.payload(), today)
    record = Protection(case_id=case.id, envelope_id=envelope_id, created_on=today)
    session.add(record)
    session.flush()
    audit.append(
        session,
        "protection.create",
        actor=actor.username,
        org_id=actor.org_id,
        target=case.submission_id,
    )
    return record


def open_person(
    protection: Protection, session: Session, private_key: PrivateKey
) -> ProtectedPerson:
    """Decrypt the protected employee's details (heads and the recovery key only).

    Raises crypto.errors.DecryptionError for a key without a grant. The caller audits the view.
    """
    envelope = _envelope(session, protection.envelope_id)
    body = sealing.open_body(envelope, private_key, expect="protection")
    data = payloads.decode(body, PROTECTION_FORMAT)
    return ProtectedPerson(
        str(data.get("full_name", "")),
        str(data.get("position", "")),
        str(data.get("unit", "")),
        str(data.get("note", "")),
    )


def open_description(
    matter: ProtectionMatter, session: Session, private_key: PrivateKey
) -> str | None:
    if matter.envelope_id is None:
        return None
    envelope = _envelope(session, matter.envelope_id)
    body = sealing.open_body(envelope, private_key, expect="protection")
    data = payloads.decode(body, MATTER_FORMAT)
    return str(data.get("description", ""))


def _envelope(session: Session, envelope_id: str) -> Envelope:
    envelope = session.get(Envelope, envelope_id)
    if envelope is None:
        raise LookupError("the sealed record is gone")
    return envelope


def add_matter(
    session: Session,
    protection: Protection,
    *,
    kind: str,
    body: str,
    proposed_on: date,
    actor: User,
    today: date,
    description: str = "",
) -> ProtectionMatter:
    """Register a proposed measure (p16-p17). The description, if any, is sealed."""
    if kind not in MATTER_KINDS:
        raise AdalError(AREA, "bad_kind", f"kind must be one of {', '.join(MATTER_KINDS)}")
    if body not in MATTER_BODIES:
        raise AdalError(AREA, "bad_body", f"body must be one of {', '.join(MATTER_BODIES)}")
    if proposed_on > today:
        raise AdalError(AREA, "in_future:proposed_on", "proposed_on lies in the future")
    envelope_id = None
    if description.strip():
        envelope_id = _seal(
            session,
            _case_of(session, protection),
            MATTER_FORMAT,
            {"description": description.strip()},
            today,
        )
    matter = ProtectionMatter(
        protection_id=protection.id,
        kind=kind,
        body=body,
        envelope_id=envelope_id,
        proposed_on=proposed_on,
        agency_invited=False,
        nda_required=False,
    )
    session.add(matter)
    session.flush()
    audit.append(
        session,
        "protection.matter_add",
        actor=actor.username,
        org_id=actor.org_id,
        target=_target(session, protection),
        details={
            "matter": matter.id,
            "kind": kind,
            "body": body,
            "proposed_on": proposed_on.isoformat(),
        },
    )
    _refresh_lists(session, protection)
    return matter


def _refresh_lists(session: Session, protection: Protection) -> None:
    """Keep the back office's list columns current in this transaction (cases.lists)."""
    case = session.get(Case, protection.case_id)
    if case is not None:
        refresh_case(session, case)


def _target(session: Session, protection: Protection) -> str:
    case = session.get(Case, protection.case_id)
    return case.submission_id if case is not None else f"protection/{protection.id}"


def update_matter(
    session: Session,
    matter: ProtectionMatter,
    *,
    actor: User,
    today: date,
    **changes: date | bool | None,
) -> ProtectionMatter:
    """Record dates and flags of a matter; all are checked together before anything changes.

    Accepted keys: MATTER_DATES (a date or None to clear) and MATTER_FLAGS (bool). Refusals
    (AdalError codes, area ``protection``): ``unknown_field:<name>``, ``in_future:<name>``, and
    ``order:<name>`` when dates contradict each other (a decision before the meeting, materials
    after it, a copy before the decision, an appeal after the agency's notice, an invitation
    date without the invitation, an NDA date when none is owed).
    """
    for name in changes:
        if name not in MATTER_DATES and name not in MATTER_FLAGS:
            raise AdalError(AREA, f"unknown_field:{name}", f"no such field: {name}")
    merged: dict[str, Any] = {n: getattr(matter, n) for n in (*MATTER_DATES, *MATTER_FLAGS)}
    merged.update(changes)
    for name in MATTER_FLAGS:
        if not isinstance(merged[name], bool):
            raise AdalError(AREA, f"invalid:{name}", f"{name} is yes or no")
    for name in MATTER_DATES:
        if merged[name] is not None and not isinstance(merged[name], date):
            raise AdalError(AREA, f"invalid:{name}", f"{name} is a date")
    for name in _PAST_DATES:
        if merged[name] is not None and merged[name] > today:
            raise AdalError(AREA, f"in_future:{name}", f"{name} lies in the future")
    _check_order(merged)
    changed = sorted(n for n in changes if getattr(matter, n) != merged[n])
    for name in changed:
        setattr(matter, name, merged[name])
    session.flush()
    if changed:
        protection = session.get(Protection, matter.protection_id)
        assert protection is not None
        audit.append(
            session,
            "protection.matter_update",
            actor=actor.username,
            org_id=actor.org_id,
            target=_target(session, protection),
            details={"matter": matter.id, "fields": changed},
        )
        _refresh_lists(session, protection)
    return matter


def _check_order(m: Mapping[str, Any]) -> None:
    def refuse(name: str, why: str) -> None:
        raise AdalError(AREA, f"order:{name}", why)

    if m["agency_invited_on"] is not None and not m["agency_invited"]:
        refuse("agency_invited_on", "an invitation date needs the invitation")
    meeting = m["meeting_on"]
    if m["decided_on"] is not None:
        if meeting is None:
            refuse("decided_on", "a decision needs the meeting date")
        elif m["decided_on"] < meeting:
            refuse("decided_on", "a commission cannot decide before it meets")
    if m["copy_sent_on"] is not None and (
        m["decided_on"] is None or m["copy_sent_on"] < m["decided_on"]
    ):
        refuse("copy_sent_on", "the copy follows the decision")
    if meeting is not None:
        for name in ("materials_sent_on", "agency_invited_on"):
            if m[name] is not None and m[name] > meeting:
                refuse(name, f"{name} must come before the meeting")
    if m["notice_received_on"] is not None and m["appeal_on"] is None:
        refuse("appeal_on", "the agency's notice names the day the appeal reached it")
    if (
        m["appeal_on"] is not None
        and m["notice_received_on"] is not None
        and m["appeal_on"] > m["notice_received_on"]
    ):
        refuse("appeal_on", "the appeal reaches the agency before its notice")
    if m["nda_signed_on"] is not None and not m["nda_required"]:
        refuse("nda_signed_on", "no NDA is owed for this matter")


def matter_open(matter: ProtectionMatter) -> bool:
    """Still in progress: a commission without its decision and copy, or an owed p20 NDA.

    An open matter holds its case back from purging whatever the retention says.
    """
    if matter.decided_on is None or (matter.meeting_on is not None and matter.copy_sent_on is None):
        return True
    return matter.nda_required and matter.nda_signed_on is None


def invitation_missing(matter: ProtectionMatter) -> bool:
    """p16-p17: the agency's representative must be invited to the meeting."""
    return matter.meeting_on is not None and not matter.agency_invited


def meeting_on_day_off(matter: ProtectionMatter, calendar: WorkCalendar) -> bool:
    """p16-p17: a commission meets on a working day; a day off is almost always a typo, and it
    moves the p18 deadline for the materials onto an earlier working day."""
    return matter.meeting_on is not None and not calendar.is_working_day(matter.meeting_on)


def holds_record(session: Session, protection: Protection, private_key: PrivateKey) -> bool:
    """Whether this key holds a grant on the protection record (a head, or a handler it was
    shared with)."""
    envelope = session.get(Envelope, protection.envelope_id)
    return envelope is not None and sealing.holds(envelope, ckeys.key_id(private_key.public_key))


def may_enter_dates(
    session: Session, protection: Protection, role: str, private_key: PrivateKey
) -> bool:
    """A head, or a handler a head shared the record with (p16-p17)."""
    if role == "head":
        return True
    return role == "handler" and holds_record(session, protection, private_key)


def share_candidates(session: Session, protection: Protection) -> list[User]:
    """Handlers who hold the case but not yet the protection record."""
    case = session.get(Case, protection.case_id)
    submission = session.get(Submission, case.submission_id) if case is not None else None
    envelope = session.get(Envelope, protection.envelope_id)
    if submission is None or envelope is None:
        return []
    out = []
    for user in case_holders(session, submission):
        key = active_key(session, user)
        if (
            user.role == "handler"
            and user.active
            and scope.same_org(user.org_id, submission.org_id)
            and key is not None
            and not sealing.holds(envelope, key.key_id)
        ):
            out.append(user)
    return out


def share_protection(
    session: Session, protection: Protection, private_key: PrivateKey, grantee: User, actor: User
) -> None:
    """Grant the protection record to a handler who holds the case (audited).

    Refused (``not_shareable``) for anyone but an active handler with a key who holds the case,
    and (``no_key``) when the granting key does not open the record itself.
    """
    if grantee not in share_candidates(session, protection):
        raise AdalError(AREA, "not_shareable", "only a handler who holds the case")
    key = active_key(session, grantee)
    envelope = _envelope(session, protection.envelope_id)
    assert key is not None
    try:
        data_key = sealing.open_data_key(envelope, private_key)
    except CryptoError:
        raise AdalError(AREA, "no_key", "this key does not open the record") from None
    sealing.add_grant(session, envelope, data_key, key.public_key)
    audit.append(
        session,
        "protection.share",
        actor=actor.username,
        org_id=actor.org_id,
        target=_target(session, protection),
        details={"to": grantee.username},
    )
