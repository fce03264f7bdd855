"""The notification worker's ledger: which notice each staff user is owed or was sent.

A row is keyed by a tag of the event (crypto.localbox.tag under the back office's secret.key),
never by the event itself: the ledger is written when a report, a follow-up or a deadline first
concerns someone, and a plain submission id beside that would date the report to the minute,
which the database otherwise never can (only its day is stored in plain). For the same reason a
sent notice keeps the day it went out, not the time; `claimed_until` lives only while a worker
is sending it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id


class Notice(Base):
    __tablename__ = "notices"
    # One row per event and person: a second worker's insert of the same pair does nothing.
    __table_args__ = (UniqueConstraint("user_id", "tag", name="uq_notices_user_tag"),)

    # Random, like submission ids: an increasing key would give the order of events.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tag: Mapped[bytes]
    kind: Mapped[str] = mapped_column(String(24))
    # Set by the worker that is sending it; NULL again once sent.
    claim: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_until: Mapped[datetime | None]
    sent_on: Mapped[date | None] = mapped_column(index=True)


class NotifyState(Base):
    """The worker's own state (its last pass, the day new reports are scanned from). Apart from
    `settings`, which the portal's database role may read: this says when the back office's
    worker last ran and how much it sent, which is none of the portal's business."""

    __tablename__ = "notify_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict[str, Any]]
