"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    # Each organization's entries form a chain of their own; NULL is the platform's chain (the
    # operator's work on organizations and the calendar).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Unique: two writers racing for the same predecessor cannot fork the chain; one retries.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC of entry_hash under the back office's audit key (store/audit.py, issue 12 item 5):
    # NULL only for entries older than the keyed chain.
    entry_mac: Mapped[str | None] = mapped_column(String(64), default=None)
