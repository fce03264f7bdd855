"""Who a new envelope is sealed to (DESIGN.md, "Who can open what").

The report goes to every active handler and head key plus the recovery key: the head signs
Appendix 1 and needs the report. The identity block and protection records go only to approved
head keys (custodians, p14) and the recovery key. Messages and files of an existing case go to
whoever holds its report.

A head key is approved when the recovery key, or a head key that is itself approved, has signed
it (crypto/signing.py); the chain is checked here, on every seal, so an admin who creates or
resets a head account gets a working head without any reporter's identity (cases/custody.py).
Head keys carried over by migration 0005 (approved, no signature) count as approved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from crypto import signing
from store.models import Envelope, Grant, RecipientKey

REPORT_PURPOSES = ("handler", "head", "recovery")
IDENTITY_PURPOSES = ("head", "recovery")


class NoRecipients(Exception):
    """There is no key to seal to: the installation is not set up (no recovery key)."""


def _keys(session: Session, purposes: tuple[str, ...]) -> list[bytes]:
    keys = list(
        session.execute(
            select(RecipientKey.public_key)
            .where(RecipientKey.active.is_(True), RecipientKey.purpose.in_(purposes))
            .order_by(RecipientKey.id)
        ).scalars()
    )
    if not keys:
        raise NoRecipients(f"no active key for {purposes}")
    return keys


def report_recipients(session: Session) -> list[bytes]:
    return _keys(session, REPORT_PURPOSES)


def carried_over(key: RecipientKey | Row[Any]) -> bool:
    """A head key marked approved by migration 0005, from before approvals were signed."""
    return key.approved_at is not None and key.approval is None and key.approved_by is None


# Only columns the portal's database role may read (installation/roles.py): never `user_id`.
_CHAIN_COLUMNS = (
    RecipientKey.key_id,
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


def _chain(session: Session) -> tuple[list[Row[Any]], set[str]]:
    """(head and recovery key rows, key ids of those trusted to hold identities)."""
    rows = list(
        session.execute(
            select(*_CHAIN_COLUMNS)
            .where(RecipientKey.purpose.in_(IDENTITY_PURPOSES))
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


def approved_head_keys(session: Session) -> set[str]:
    """Key ids of the head keys (active or not) whose approval chain reaches a trusted root.

    Roots are the recovery key and carried-over head keys; a retired approver's approvals stand,
    since its key was trusted when it signed. A row that merely claims an approval (a forged or
    mismatched signature) is not approved.
    """
    rows, trusted = _chain(session)
    return {r.key_id for r in rows if r.purpose == "head" and r.key_id in trusted}


def identity_recipients(session: Session) -> list[bytes]:
    """Approved active head keys and the recovery key (p14): never a head key still pending."""
    rows, trusted = _chain(session)
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
    held = session.execute(
        select(RecipientKey.public_key)
        .join(Grant, Grant.key_id == RecipientKey.key_id)
        .where(Grant.envelope_id == envelope_id, RecipientKey.active.is_(True))
        .order_by(RecipientKey.id)
    ).scalars()
    # The recovery key is always a holder, so a case never outlives every staff password.
    keys = list(dict.fromkeys([*held, *_keys(session, ("recovery",))]))
    return keys
