"""Append-only audit log: each entry's hash covers its content and the previous entry's hash.

Editing, deleting or reordering a row breaks the chain at that row, and `verify` names it. The
genesis entry's predecessor is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import AuditEntry

GENESIS = "0" * 64


def _canonical(at: datetime, actor: str | None, action: str, target: str | None,
               details: dict[str, Any], prev_hash: str) -> bytes:
    record = {
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
        "prev": prev_hash,
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    data = _canonical(at, entry.actor, entry.action, entry.target, entry.details or {},
                      entry.prev_hash)
    return hashlib.sha256(data).hexdigest()


def _last_hash(session: Session) -> str:
    last = session.execute(
        select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


def append(session: Session, action: str, *, actor: str | None = None,
           target: str | None = None, details: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEntry:
    """Add an entry inside the caller's transaction (it commits or rolls back with the action).

    A concurrent writer that took the same predecessor makes the flush fail on the unique
    `prev_hash`; the savepoint lets us retry on the new tail without losing the caller's work.
    """
    at = at or datetime.now(UTC)
    for _attempt in range(10):
        prev = _last_hash(session)
        entry = AuditEntry(at=at, actor=actor, action=action, target=target,
                           details=dict(details or {}), prev_hash=prev, entry_hash="")
        entry.entry_hash = entry_hash(entry)
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            continue
        return entry
    raise RuntimeError("audit log is too busy to append")


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify(session: Session) -> Verification:
    prev = GENESIS
    checked = 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    for entry in rows:
        if entry.prev_hash != prev:
            return Verification(False, checked, entry.id, "does not follow the previous entry")
        if entry_hash(entry) != entry.entry_hash:
            return Verification(False, checked, entry.id, "content does not match its hash")
        prev = entry.entry_hash
        checked += 1
    return Verification(True, checked)
