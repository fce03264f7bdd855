"""Who a new envelope is sealed to (DESIGN.md, "Who can open what").

The report goes to every active handler and head key plus the recovery key: the head signs
Appendix 1 and needs the report. The identity block goes only to heads (custodians, p14) and the
recovery key. Messages and files of an existing case go to whoever holds its report.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def identity_recipients(session: Session) -> list[bytes]:
    return _keys(session, IDENTITY_PURPOSES)


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
