"""A change of head: everything the outgoing head holds goes to the incoming head at once.

The outgoing head (signed in to the back office) or the organization's recovery key (the
`adal recover --handover` command) grants every case it holds, with its identity block and
protection records, to the incoming head in one transaction and one audit entry, and says how
much moved and how much could not (an envelope never sealed to the granting key stays closed to
it, and so to the successor). The outgoing head keeps their grants: deactivating the account is
the admin's separate, audited step, so a mistaken handover loses nothing.

p14 makes the head the custodian of the identities, and Section 3's protection lasts three
years: a successor who could not open them could neither protect the reporter nor re-create
the record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases import disclosure, scope
from cases.sharing import CUSTODIAN, active_key, case_envelopes
from crypto import keys as ckeys
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from rules.errors import AdalError
from store import audit, sealing
from store.models import Case, Envelope, Grant, Protection, ProtectionMatter, Submission, User
from store.recipients import approved_head_keys

AREA = "handover"  # of the AdalError codes raised here
Kind = Literal["case", "identity", "protection", "other"]
KINDS: tuple[Kind, ...] = ("case", "identity", "protection", "other")


@dataclass(frozen=True)
class Handover:
    """Per kind of record: how many the incoming head now holds, and how many could not move.

    ``case`` counts reports, ``identity`` identity blocks, ``protection`` protection records
    (the protected employee); ``other`` the messages, files, internal notes, matter descriptions
    and disclosure records with them.
    """

    moved: dict[str, int]
    not_moved: dict[str, int]

    @property
    def complete(self) -> bool:
        return not any(self.not_moved.values())


def held_submissions(db: Session, key_id: str) -> list[Submission]:
    """Every submission whose report, identity block or protection record the key holds."""
    held = select(Grant.envelope_id).where(Grant.key_id == key_id)
    by_envelope = select(Submission.id).where(
        or_(Submission.report_envelope_id.in_(held), Submission.identity_envelope_id.in_(held))
    )
    by_protection = (
        select(Case.submission_id)
        .join(Protection, Protection.case_id == Case.id)
        .where(Protection.envelope_id.in_(held))
    )
    ids = set(db.scalars(by_envelope)) | set(db.scalars(by_protection))
    return list(
        db.scalars(
            select(Submission)
            .where(Submission.id.in_(ids))
            .order_by(Submission.received_on, Submission.id)
        )
    )


def _labelled(db: Session, submission: Submission) -> list[tuple[Kind, Envelope]]:
    envelopes: list[tuple[Kind, Envelope]] = [("case", submission.report_envelope)]
    envelopes += [("other", e) for e in case_envelopes(db, submission)[1:]]
    if submission.identity_envelope is not None:
        envelopes.append(("identity", submission.identity_envelope))
    for protection in db.scalars(
        select(Protection)
        .join(Case, Case.id == Protection.case_id)
        .where(Case.submission_id == submission.id)
    ):
        envelope = db.get(Envelope, protection.envelope_id)
        if envelope is not None:
            envelopes.append(("protection", envelope))
    case = db.scalar(select(Case).where(Case.submission_id == submission.id))
    if case is not None:
        envelopes += [
            ("other", e)
            for e in (db.get(Envelope, i) for i in disclosure.envelope_ids(db, case))
            if e is not None
        ]
    envelopes += [
        ("other", e)
        for e in db.scalars(
            select(Envelope)
            .join(ProtectionMatter, ProtectionMatter.envelope_id == Envelope.id)
            .join(Protection, Protection.id == ProtectionMatter.protection_id)
            .join(Case, Case.id == Protection.case_id)
            .where(Case.submission_id == submission.id)
            .order_by(ProtectionMatter.id)
        )
    ]
    return envelopes


def hand_over(
    db: Session,
    granting_key: PrivateKey,
    incoming: User,
    *,
    actor: str,
    submissions: list[Submission] | None = None,
) -> Handover:
    """Grant every case the granting key holds (or ``submissions``) to the incoming head, with
    its identity block and protection records, and audit it once as ``head.handover``.

    Refused (AdalError, area ``handover``): ``not_a_head`` when the incoming user is not an
    active head with a key, ``not_approved`` when its key still awaits approval (p14 custody),
    ``same_person`` when the granting key is the incoming head's own.
    """
    key = active_key(db, incoming)
    if incoming.role != CUSTODIAN or not incoming.active or key is None:
        raise AdalError(AREA, "not_a_head", "the incoming head must be an active head with a key")
    if incoming.org_id is None or key.key_id not in approved_head_keys(db, incoming.org_id):
        # p14 custody: identities reach a head key only once it is approved (cases/custody.py).
        raise AdalError(AREA, "not_approved", "the incoming head's key is not approved yet")
    granting_id = ckeys.key_id(granting_key.public_key)
    if granting_id == key.key_id:
        raise AdalError(AREA, "same_person", "a head cannot hand over to themselves")
    if submissions is None:
        submissions = held_submissions(db, granting_id)
    # Only the incoming head's own organization's cases move: a key never receives a grant on
    # another organization's material (issue 13).
    submissions = [s for s in submissions if scope.same_org(s.org_id, incoming.org_id)]
    moved: Counter[str] = Counter({k: 0 for k in KINDS})
    not_moved: Counter[str] = Counter({k: 0 for k in KINDS})
    for submission in submissions:
        for kind, envelope in _labelled(db, submission):
            if sealing.holds(envelope, key.key_id):
                moved[kind] += 1
                continue
            try:
                data_key = sealing.open_data_key(envelope, granting_key)
            except CryptoError:
                not_moved[kind] += 1
                continue
            sealing.add_grant(db, envelope, data_key, key.public_key)
            moved[kind] += 1
    result = Handover(dict(moved), dict(not_moved))
    audit.append(
        db,
        "head.handover",
        actor=actor,
        org_id=incoming.org_id,
        target=incoming.username,
        details={"moved": result.moved, "not_moved": result.not_moved},
    )
    return result
