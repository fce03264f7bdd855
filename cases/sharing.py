"""Who holds a case, and changing that: grant, revoke, and recovery with the organization key.

A case is a set of envelopes: the report, every message and every file (of the report and of
the messages) and every internal note, plus its custodial envelopes: the identity block and the
protection records (the protected employee and the description of each matter, Section 3).
Granting re-seals each envelope's data key to one more public key; nothing is re-encrypted.

The custodial envelopes go to heads only, as at intake (p14: the head keeps the identities):
sharing a case with a head passes on those the granting key holds, recovery passes on all of
them, and a handler never receives one. Without that a new head would hold a case whose
protection record, which must last three years, they can neither open nor re-create.

A custodial envelope goes only to a head key that is approved (cases/custody.py): a head key
still awaiting approval gets them when it is approved, not before (p14).

A case is shared only within its organization (issue 13): the grantee must be staff of the
organization the report was sent to, and so must their key. Sharing across organizations is
refused like an unknown user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from cases import disclosure, scope
from cases.access import key_id_of
from cases.staff import KEY_ROLES
from crypto import keys as ckeys
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from store import sealing
from store.models import (
    Attachment,
    Case,
    CaseList,
    DisclosureBasis,
    Envelope,
    Grant,
    Message,
    Note,
    Protection,
    ProtectionMatter,
    RecipientKey,
    Submission,
    User,
)
from store.recipients import approved_head_keys

CUSTODIAN = "head"  # the only role custodial envelopes are granted to (p14)


@dataclass(frozen=True)
class GrantResult:
    granted: int  # envelopes that gained a grant
    skipped: int  # envelopes the granting key could not open


def case_envelopes(db: Session, submission: Submission) -> list[Envelope]:
    """Report, messages, files and internal notes of the case; the identity block is not among
    them. Notes are here so that they follow the case exactly like messages (shared, recovered,
    handed over, revoked)."""
    envelopes = [submission.report_envelope]
    envelopes += db.scalars(
        select(Envelope)
        .join(Message, Message.envelope_id == Envelope.id)
        .where(Message.submission_id == submission.id)
        .order_by(Message.id)
    )
    envelopes += db.scalars(
        select(Envelope)
        .join(Attachment, Attachment.envelope_id == Envelope.id)
        .where(Attachment.submission_id == submission.id)
        .order_by(Attachment.id)
    )
    envelopes += db.scalars(
        select(Envelope)
        .join(Note, Note.envelope_id == Envelope.id)
        .where(Note.submission_id == submission.id)
        .order_by(Note.id)
    )
    return envelopes


def custodial_envelopes(db: Session, submission: Submission) -> list[Envelope]:
    """Identity block, protection record, matter descriptions and disclosure records (the
    signed Appendix 2's scan, a court decision) of the case: heads only."""
    envelopes = [submission.identity_envelope] if submission.identity_envelope else []
    case = db.scalar(select(Case).where(Case.submission_id == submission.id))
    if case is not None:
        envelopes += [
            e
            for e in (db.get(Envelope, i) for i in disclosure.envelope_ids(db, case))
            if e is not None
        ]
    envelopes += db.scalars(
        select(Envelope)
        .join(Protection, Protection.envelope_id == Envelope.id)
        .join(Case, Case.id == Protection.case_id)
        .where(Case.submission_id == submission.id)
    )
    envelopes += db.scalars(
        select(Envelope)
        .join(ProtectionMatter, ProtectionMatter.envelope_id == Envelope.id)
        .join(Protection, Protection.id == ProtectionMatter.protection_id)
        .join(Case, Case.id == Protection.case_id)
        .where(Case.submission_id == submission.id)
        .order_by(ProtectionMatter.id)
    )
    return envelopes


def _custodian(db: Session, grantee: User, key: RecipientKey) -> bool:
    return (
        grantee.role == CUSTODIAN
        and key.org_id is not None
        and key.key_id in approved_head_keys(db, key.org_id)
    )


def _same_organization(submission: Submission, grantee: User, key: RecipientKey) -> bool:
    return scope.same_org(grantee.org_id, submission.org_id) and scope.same_org(
        key.org_id, submission.org_id
    )


def active_key(db: Session, user: User) -> RecipientKey | None:
    return db.scalar(
        select(RecipientKey)
        .where(RecipientKey.user_id == user.id, RecipientKey.active.is_(True))
        .order_by(RecipientKey.id.desc())
        .limit(1)
    )


def _grant_all(
    db: Session, envelopes: Iterable[Envelope], private_key: PrivateKey, recipient: bytes
) -> GrantResult:
    granted = skipped = 0
    for envelope in envelopes:
        try:
            data_key = sealing.open_data_key(envelope, private_key)
        except CryptoError:
            skipped += 1
            continue
        before = len(envelope.grants)
        sealing.add_grant(db, envelope, data_key, recipient)
        granted += len(envelope.grants) > before
    return GrantResult(granted, skipped)


def grant_case(
    db: Session, submission: Submission, private_key: PrivateKey, grantee: User
) -> GrantResult:
    """Share a case the granting key holds with another handler or head; a head also gets the
    custodial envelopes the granting key holds (a handler's key holds none of them)."""
    key = active_key(db, grantee)
    if grantee.role not in KEY_ROLES or not grantee.active or key is None:
        raise ValueError("only an active handler or head with a key can hold a case")
    if not _same_organization(submission, grantee, key):
        raise ValueError("a case is held only by staff of the organization it was sent to")
    envelopes = case_envelopes(db, submission)
    if _custodian(db, grantee, key):
        own = ckeys.key_id(private_key.public_key)
        envelopes += [e for e in custodial_envelopes(db, submission) if sealing.holds(e, own)]
    return _grant_all(db, envelopes, private_key, key.public_key)


def recover_case(
    db: Session, submission: Submission, recovery_key: PrivateKey, grantee: User
) -> GrantResult:
    """Grant a case with the organization's recovery key; a head also gets the identity and
    the protection records."""
    key = active_key(db, grantee)
    if grantee.role not in KEY_ROLES or not grantee.active or key is None:
        raise ValueError("only an active handler or head with a key can hold a case")
    if not _same_organization(submission, grantee, key):
        raise ValueError("a case is held only by staff of the organization it was sent to")
    envelopes = case_envelopes(db, submission)
    if _custodian(db, grantee, key):
        envelopes += custodial_envelopes(db, submission)
    return _grant_all(db, envelopes, recovery_key, key.public_key)


CUSTODY_PURPOSES = ("identity", "protection")


def _sealed_to_recovery_of(org_id: int) -> Select[tuple[str]]:
    """Envelopes of the organization's material: every one is sealed to its recovery key."""
    return (
        select(Grant.envelope_id)
        .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
        .where(RecipientKey.purpose == "recovery", scope.in_org(RecipientKey.org_id, org_id))
    )


def hand_over_custody(
    db: Session, private_key: PrivateKey, recipient: bytes, org_id: int
) -> GrantResult:
    """Grant every identity block, protection record and disclosure record (court decision,
    Appendix 2 scan) `private_key` holds to `recipient`.

    Run when a head key is approved: the approver (a head, or the recovery key) holds the
    identities the new head missed while its key was pending, and only the approver can re-seal
    them (p14: the head is their custodian). Only envelopes of `org_id`'s cases move: the
    caller's recipient is a key of that organization.
    """
    # The scan of a signed Appendix 2 is a file envelope (purpose "file"), sealed like the
    # identity (cases/disclosure.py): custodial by where it is referenced, not by its purpose.
    scans = select(DisclosureBasis.scan_envelope_id).where(
        DisclosureBasis.scan_envelope_id.is_not(None)
    )
    envelopes = db.scalars(
        select(Envelope)
        .join(Grant, Grant.envelope_id == Envelope.id)
        .where(
            Grant.key_id == key_id_of(private_key),
            or_(Envelope.purpose.in_(CUSTODY_PURPOSES), Envelope.id.in_(scans)),
            Envelope.id.in_(_sealed_to_recovery_of(org_id)),
        )
        .order_by(Envelope.created_on, Envelope.id)
    )
    return _grant_all(db, list(envelopes), private_key, recipient)


def revoke_case(db: Session, submission: Submission, user: User) -> int:
    """Remove every grant any key of `user` holds on the case, custodial envelopes included."""
    key_ids = list(db.scalars(select(RecipientKey.key_id).where(RecipientKey.user_id == user.id)))
    envelopes = case_envelopes(db, submission) + custodial_envelopes(db, submission)
    removed = 0
    for envelope in envelopes:
        for key_id in key_ids:
            if sealing.holds(envelope, key_id):
                sealing.revoke_grant(db, envelope, key_id)
                removed += 1
    # The responsible person is one of the holders (cases.assignment): no longer this one.
    db.execute(
        update(CaseList)
        .where(CaseList.submission_id == submission.id, CaseList.assignee_id == user.id)
        .values(assignee_id=None)
    )
    return removed


def case_holders(db: Session, submission: Submission) -> list[User]:
    """Staff whose current key holds the report.

    A key retired by an admin reset no longer opens anything, so its owner is not a holder (and
    may be granted the case again). The recovery key is not a person and is not listed.
    """
    return list(
        db.scalars(
            select(User)
            .join(RecipientKey, RecipientKey.user_id == User.id)
            .join(Grant, Grant.key_id == RecipientKey.key_id)
            .where(
                Grant.envelope_id == submission.report_envelope_id, RecipientKey.active.is_(True)
            )
            .distinct()
            .order_by(User.full_name, User.id)
        )
    )


def grant_candidates(db: Session, submission: Submission) -> list[User]:
    """Active handlers and heads of the case's organization with a key that does not hold the
    case yet."""
    holding = {u.id for u in case_holders(db, submission)}
    # -1 names no organization: a case without one has no candidates (no staff role lacks one).
    org_id = submission.org_id if submission.org_id is not None else -1
    users = db.scalars(
        select(User)
        .join(RecipientKey, RecipientKey.user_id == User.id)
        .where(
            User.active.is_(True),
            User.role.in_(KEY_ROLES),
            scope.in_org(User.org_id, org_id),
            RecipientKey.active.is_(True),
            scope.in_org(RecipientKey.org_id, org_id),
        )
        .distinct()
        .order_by(User.full_name, User.id)
    )
    return [u for u in users if u.id not in holding]
