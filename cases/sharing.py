"""Who holds a case, and changing that: grant, revoke, and recovery with the organization key.

A case is a set of envelopes: the report, every message and every file (of the report and of
the messages), plus the identity block. Granting re-seals each envelope's data key to one more
public key; nothing is re-encrypted. The identity block is never shared from the back office:
it stays with the heads it was sealed to (p14); only the approval of a new head's key by a head
who holds it (cases/custody.py), or recovery run by the organization with its offline key, may
give it to a new head.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.access import key_id_of
from cases.staff import KEY_ROLES
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from store import sealing
from store.models import Attachment, Envelope, Grant, Message, RecipientKey, Submission, User
from store.recipients import approved_head_keys


@dataclass(frozen=True)
class GrantResult:
    granted: int  # envelopes that gained a grant
    skipped: int  # envelopes the granting key could not open


def case_envelopes(db: Session, submission: Submission) -> list[Envelope]:
    """Report, messages and files of the case; the identity block is not among them."""
    envelopes = [submission.report_envelope]
    envelopes += db.scalars(select(Envelope).join(Message, Message.envelope_id == Envelope.id)
                            .where(Message.submission_id == submission.id)
                            .order_by(Message.id))
    envelopes += db.scalars(select(Envelope)
                            .join(Attachment, Attachment.envelope_id == Envelope.id)
                            .where(Attachment.submission_id == submission.id)
                            .order_by(Attachment.id))
    return envelopes


def active_key(db: Session, user: User) -> RecipientKey | None:
    return db.scalar(select(RecipientKey).where(RecipientKey.user_id == user.id,
                                                RecipientKey.active.is_(True))
                     .order_by(RecipientKey.id.desc()).limit(1))


def _grant_all(db: Session, envelopes: Iterable[Envelope], private_key: PrivateKey,
               recipient: bytes) -> GrantResult:
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


def grant_case(db: Session, submission: Submission, private_key: PrivateKey,
               grantee: User) -> GrantResult:
    """Share a case the granting key holds with another handler or head."""
    key = active_key(db, grantee)
    if grantee.role not in KEY_ROLES or not grantee.active or key is None:
        raise ValueError("only an active handler or head with a key can hold a case")
    return _grant_all(db, case_envelopes(db, submission), private_key, key.public_key)


def recover_case(db: Session, submission: Submission, recovery_key: PrivateKey,
                 grantee: User) -> GrantResult:
    """Grant a case with the organization's recovery key; a head also gets the identity."""
    key = active_key(db, grantee)
    if grantee.role not in KEY_ROLES or not grantee.active or key is None:
        raise ValueError("only an active handler or head with a key can hold a case")
    envelopes = case_envelopes(db, submission)
    # The identity follows the custody rule even here: a head key still awaiting approval gets
    # it when it is approved (`adal head approve`), not before.
    if (grantee.role == "head" and submission.identity_envelope is not None
            and key.key_id in approved_head_keys(db)):
        envelopes.append(submission.identity_envelope)
    return _grant_all(db, envelopes, recovery_key, key.public_key)


CUSTODY_PURPOSES = ("identity", "protection")


def hand_over_custody(db: Session, private_key: PrivateKey, recipient: bytes) -> GrantResult:
    """Grant every identity block and protection record `private_key` holds to `recipient`.

    Run when a head key is approved: the approver (a head, or the recovery key) holds the
    identities the new head missed while its key was pending, and only the approver can re-seal
    them (p14: the head is their custodian).
    """
    envelopes = db.scalars(select(Envelope).join(Grant, Grant.envelope_id == Envelope.id)
                           .where(Grant.key_id == key_id_of(private_key),
                                  Envelope.purpose.in_(CUSTODY_PURPOSES))
                           .order_by(Envelope.created_on, Envelope.id))
    return _grant_all(db, list(envelopes), private_key, recipient)


def revoke_case(db: Session, submission: Submission, user: User) -> int:
    """Remove every grant any key of `user` holds on the case, identity block included."""
    key_ids = list(db.scalars(select(RecipientKey.key_id)
                              .where(RecipientKey.user_id == user.id)))
    envelopes = case_envelopes(db, submission)
    if submission.identity_envelope is not None:
        envelopes.append(submission.identity_envelope)
    removed = 0
    for envelope in envelopes:
        for key_id in key_ids:
            if sealing.holds(envelope, key_id):
                sealing.revoke_grant(db, envelope, key_id)
                removed += 1
    return removed


def case_holders(db: Session, submission: Submission) -> list[User]:
    """Staff whose current key holds the report.

    A key retired by an admin reset no longer opens anything, so its owner is not a holder (and
    may be granted the case again). The recovery key is not a person and is not listed.
    """
    return list(db.scalars(
        select(User).join(RecipientKey, RecipientKey.user_id == User.id)
        .join(Grant, Grant.key_id == RecipientKey.key_id)
        .where(Grant.envelope_id == submission.report_envelope_id,
               RecipientKey.active.is_(True))
        .distinct().order_by(User.full_name, User.id)
    ))


def grant_candidates(db: Session, submission: Submission) -> list[User]:
    """Active handlers and heads with a key that does not hold the case yet."""
    holding = {u.id for u in case_holders(db, submission)}
    users = db.scalars(
        select(User).join(RecipientKey, RecipientKey.user_id == User.id)
        .where(User.active.is_(True), User.role.in_(KEY_ROLES), RecipientKey.active.is_(True))
        .distinct().order_by(User.full_name, User.id)
    )
    return [u for u in users if u.id not in holding]
