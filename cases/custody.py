"""Custody of reporters' identities: who may receive them, and approving a new head key.

p14: the reporter's identity goes to the head of the body only (anyone else only by a court
decision or the reporter's written consent). An admin creates and resets accounts and is shown
their one-time passwords, so an account alone must not make anybody a custodian. A head key
therefore receives identity blocks and protection records (store/recipients.identity_recipients)
only once it is approved: signed (crypto/signing.py) by a head whose own key is approved, in the
back office, or by the recovery key through `adal head approve` when no head is left. Until then
the account works as a head for everything else.

On approval the approver hands over every identity block and protection record its key holds,
so the new head also gets what arrived while its key was pending; only a holder can re-seal
them, and the approver is one.

Every new, reset and approved head key is audited here and shown to every head
(handler/custody.py), so a takeover of a head account cannot go unnoticed by the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import scope, sharing
from cases.access import key_id_of
from crypto import signing
from crypto.keys import PrivateKey
from rules.errors import AdalError
from store import audit
from store.models import AuditEntry, RecipientKey, User
from store.recipients import approved_head_keys, carried_over

AREA = "custody"  # of the AdalError codes raised here
ADDED = "head_key.add"
RESET = "head_key.reset"
APPROVED = "head_key.approve"
EVENTS = (ADDED, RESET, APPROVED)
# How long every head sees a key event on their pages.
NOTICE_DAYS = 30


@dataclass(frozen=True)
class HeadKey:
    """An active head key as the pages show it."""

    key: RecipientKey
    user: User | None
    state: str  # "approved", "carried_over" (migration 0005) or "pending"
    approver: str | None  # username of the approving head, "recovery", or None

    @property
    def fingerprint(self) -> str:
        """The key id in groups of four, to read out loud before approving."""
        return " ".join(self.key.key_id[i : i + 4] for i in range(0, len(self.key.key_id), 4))


@dataclass(frozen=True)
class Approval:
    key: RecipientKey
    handed_over: int  # identity blocks and protection records granted to the new key


def _approver_name(session: Session, key_id: str | None) -> str | None:
    if key_id is None:
        return None
    row = session.scalar(select(RecipientKey).where(RecipientKey.key_id == key_id))
    if row is None:
        return None
    if row.purpose == "recovery":
        return "recovery"
    return row.user.username if row.user is not None else None


def head_keys(session: Session, org_id: int) -> list[HeadKey]:
    """Every active head key of the organization with its state, pending ones first."""
    approved = approved_head_keys(session, org_id)
    rows = session.scalars(
        select(RecipientKey)
        .where(
            scope.in_org(RecipientKey.org_id, org_id),
            RecipientKey.purpose == "head",
            RecipientKey.active.is_(True),
        )
        .order_by(RecipientKey.id)
    )
    found = []
    for row in rows:
        if carried_over(row):
            state = "carried_over"
        elif row.key_id in approved:
            state = "approved"
        else:
            state = "pending"
        found.append(
            HeadKey(
                row,
                row.user,
                state,
                _approver_name(session, row.approved_by) if state == "approved" else None,
            )
        )
    return sorted(found, key=lambda k: k.state != "pending")


def pending_keys(session: Session, org_id: int) -> list[HeadKey]:
    return [k for k in head_keys(session, org_id) if k.state == "pending"]


def own_key(session: Session, user: User) -> HeadKey | None:
    """The user's active head key, if they are a head."""
    if user.org_id is None:
        return None
    return next(
        (k for k in head_keys(session, user.org_id) if k.user is not None and k.user.id == user.id),
        None,
    )


def may_approve(session: Session, private_key: PrivateKey | None) -> bool:
    """Whether this key can approve a head key: the recovery key, or an approved head key."""
    if private_key is None:
        return False
    row = session.scalar(select(RecipientKey).where(RecipientKey.key_id == key_id_of(private_key)))
    if row is None or not row.active or row.org_id is None:
        return False
    return row.purpose == "recovery" or (
        row.purpose == "head" and row.key_id in approved_head_keys(session, row.org_id)
    )


def announce(session: Session, user: User, *, actor: str, reset: bool) -> None:
    """Record that a head got a new key (created or reset): every head will see it."""
    if user.role != "head":
        return
    key = sharing.active_key(session, user)
    audit.append(
        session,
        RESET if reset else ADDED,
        actor=actor,
        org_id=user.org_id,
        target=user.username,
        details={"key": key.key_id if key is not None else None},
    )


def approve(
    session: Session, key: RecipientKey, approver: PrivateKey, *, actor: str, now: datetime
) -> Approval:
    """Sign `key` with the approver's key and hand it the identities the approver holds.

    The caller commits. Refused (AdalError) unless the approver may approve, the key is an
    active head key still pending, and it is not the approver's own account.
    """
    if not may_approve(session, approver):
        raise AdalError(
            AREA,
            "not_custodian",
            "only a head whose key is approved, or the recovery key, can approve a head key",
        )
    approver_id = key_id_of(approver)
    signer = session.scalars(select(RecipientKey).where(RecipientKey.key_id == approver_id)).one()
    if not scope.same_org(signer.org_id, key.org_id):
        # p14 within one organization: another organization's head or recovery key approves
        # nothing here (store/recipients.py roots each chain in its own recovery key).
        raise AdalError(AREA, "not_pending", "this key is not a head key awaiting approval")
    if (
        key.purpose != "head"
        or not key.active
        or key.verify_key is None
        or key.key_id in approved_head_keys(session, key.org_id)
        or carried_over(key)
    ):
        raise AdalError(AREA, "not_pending", "this key is not a head key awaiting approval")
    if signer.user_id is not None and signer.user_id == key.user_id:
        raise AdalError(AREA, "own_key", "a head cannot approve their own key")
    if signer.verify_key is None:
        # A key issued before approvals existed: its verify key is recorded the first time it
        # signs, from the private key that just proved it is this key.
        signer.verify_key = signing.verify_key(approver)
    key.approval = signing.approve_head_key(approver, key.public_key, key.verify_key)
    key.approved_by = approver_id
    key.approved_at = now
    session.flush()
    handed = sharing.hand_over_custody(session, approver, key.public_key, key.org_id)
    audit.append(
        session,
        APPROVED,
        actor=actor,
        org_id=key.org_id,
        target=key.user.username if key.user is not None else key.key_id,
        details={
            "key": key.key_id,
            "approved_by": "recovery" if signer.purpose == "recovery" else approver_id,
            "handed_over": handed.granted,
        },
    )
    return Approval(key, handed.granted)


def recent_events(session: Session, org_id: int, now: datetime | None = None) -> list[AuditEntry]:
    """The organization's head key events of the last NOTICE_DAYS days, newest first."""
    since = (now or datetime.now(UTC)) - timedelta(days=NOTICE_DAYS)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                scope.in_org(AuditEntry.org_id, org_id),
                AuditEntry.action.in_(EVENTS),
                AuditEntry.at >= since,
            )
            .order_by(AuditEntry.id.desc())
            .limit(50)
        )
    )
