"""Who a new envelope is sealed to (DESIGN.md, "Who can open what").

Everything is per organization (issue 13): a report goes to the active handler and head keys of
the organization it was sent to plus that organization's recovery key, and nothing of one
organization is ever sealed to another's key. The report goes to those handler and head keys
plus the recovery key: the head signs
Appendix 1 and needs the report. The identity block and protection records go only to approved
head keys (custodians, p14) and the recovery key. Messages and files of an existing case go to
whoever holds its report.

A head key is approved when the recovery key, or a head key that is itself approved, has signed
it (crypto/signing.py), within the same organization: the chain is rooted only in that
organization's recovery key (and its carried-over keys), so a head or recovery key of another
organization can approve nothing here. The chain is checked on every seal, so an admin who
creates or resets a head account gets a working head without any reporter's identity
(cases/custody.py).
Head keys carried over by migration 0005 (approved, no signature) count as approved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from crypto import signing
from store.models import MIGRATED_ORG_ID, Envelope, Grant, RecipientKey, Submission

REPORT_PURPOSES = ("handler", "head", "recovery")
IDENTITY_PURPOSES = ("head", "recovery")


def org_of(submission: Submission) -> int:
    """The organization a report was sent to: whose keys its material is sealed to."""
    if submission.org_id is None:
        # Every writer sets it (cases.intake); a row without one must not fall back to "all".
        raise NoRecipients(f"submission {submission.id} belongs to no organization")
    return submission.org_id


class NoRecipients(Exception):
    """There is no key to seal to: the installation is not set up (no recovery key)."""


def _keys(session: Session, org_id: int, purposes: tuple[str, ...]) -> list[bytes]:
    keys = list(
        session.execute(
            select(RecipientKey.public_key)
            .where(
                RecipientKey.org_id == org_id,
                RecipientKey.active.is_(True),
                RecipientKey.purpose.in_(purposes),
            )
            .order_by(RecipientKey.id)
        ).scalars()
    )
    if not keys:
        raise NoRecipients(f"no active key for {purposes} in organization {org_id}")
    return keys


def report_recipients(session: Session, org_id: int) -> list[bytes]:
    """The organization's active handler and head keys and its recovery key."""
    return _keys(session, org_id, REPORT_PURPOSES)


def carried_over(key: RecipientKey | Row[Any]) -> bool:
    """A head key marked approved by migration 0005, from before approvals were signed. Only
    the migrated organization had head keys then: in any other, such a row is not approved (a
    database writer could otherwise make any key a root of an organization's chain)."""
    return (
        key.org_id == MIGRATED_ORG_ID
        and key.approved_at is not None
        and key.approval is None
        and key.approved_by is None
    )


# Only columns the portal's database role may read (installation/roles.py): never `user_id`.
_CHAIN_COLUMNS = (
    RecipientKey.key_id,
    RecipientKey.org_id,
    RecipientKey.public_key,
    RecipientKey.purpose,
    RecipientKey.active,
    RecipientKey.verify_key,
    RecipientKey.approved_by,
    RecipientKey.approval,
    RecipientKey.approved_at,
)


def _signed_by(key: Row[Any], signer: Row[Any]) -> bool:
    return (
        signer.verify_key is not None
        and key.verify_key is not None
        and key.approval is not None
        and signing.is_head_key_approval(
            signer.verify_key, key.public_key, key.verify_key, key.approval
        )
    )


def _chain(session: Session, org_id: int) -> tuple[list[Row[Any]], set[str]]:
    """(the organization's head and recovery key rows, key ids of those trusted to hold
    identities). Only that organization's rows are read, so no other organization's key can be a
    root or a link of its chain."""
    rows = list(
        session.execute(
            select(*_CHAIN_COLUMNS)
            .where(
                RecipientKey.org_id == org_id,
                RecipientKey.purpose.in_(IDENTITY_PURPOSES),
            )
            .order_by(RecipientKey.id)
        )
    )
    trusted = {r.key_id: r for r in rows if r.purpose == "recovery" or carried_over(r)}
    waiting = [r for r in rows if r.key_id not in trusted and r.approved_by is not None]
    progress = True
    while progress:  # a chain is a few links long: heads approve heads
        progress = False
        for row in list(waiting):
            signer = trusted.get(row.approved_by or "")
            if signer is not None and _signed_by(row, signer):
                trusted[row.key_id] = row
                waiting.remove(row)
                progress = True
    return rows, set(trusted)


def approved_head_keys(session: Session, org_id: int) -> set[str]:
    """Key ids of the head keys (active or not) whose approval chain reaches a trusted root.

    Roots are the recovery key and carried-over head keys; a retired approver's approvals stand,
    since its key was trusted when it signed. A row that merely claims an approval (a forged or
    mismatched signature) is not approved.
    """
    rows, trusted = _chain(session, org_id)
    return {r.key_id for r in rows if r.purpose == "head" and r.key_id in trusted}


def identity_recipients(session: Session, org_id: int) -> list[bytes]:
    """The organization's approved active head keys and its recovery key (p14): never a head key
    still pending."""
    rows, trusted = _chain(session, org_id)
    keys = [r.public_key for r in rows if r.active and r.key_id in trusted]
    if not keys:
        raise NoRecipients(f"no active key for {IDENTITY_PURPOSES}")
    return keys


def holders(session: Session, envelope: Envelope | str) -> list[bytes]:
    """Public keys of everyone holding a grant on this envelope (the case's holders).

    Only active staff keys count (a deactivated user gets no new material) plus the recovery
    key; the mailbox key of a to-reporter message is not in `recipient_keys` and is no holder.
    """
    envelope_id = envelope if isinstance(envelope, str) else envelope.id
    rows = session.execute(
        select(RecipientKey.public_key, RecipientKey.org_id, RecipientKey.active)
        .join(Grant, Grant.key_id == RecipientKey.key_id)
        .where(Grant.envelope_id == envelope_id)
        .order_by(RecipientKey.id)
    ).all()
    held = [r.public_key for r in rows if r.active]
    # The recovery key of the envelope's organization (the organization of the keys holding
    # it) is always a holder, so a case never outlives every staff password.
    orgs = {r.org_id for r in rows if r.org_id is not None}
    recovery = [key for org_id in sorted(orgs) for key in _keys(session, org_id, ("recovery",))]
    return list(dict.fromkeys([*held, *recovery]))
