"""Append-only audit log: each entry's hash covers its content and the previous entry's hash.

Editing, deleting or reordering a row breaks the chain at that row, and `verify` names it. The
genesis entry's predecessor is 64 zeros.

The chain alone cannot show that its newest rows were deleted, and anyone who can write the
database can recompute every hash after an edit. The **anchor** closes both gaps: after each
commit that appended entries, the id and hash of the newest entry are appended as a line to a
file outside the database (`audit.anchor` in the instance folder, see `install_anchor`).
`verify` then requires the anchored entry to exist with that hash. Limitation: someone who can
write both the database and the instance folder can rewrite both; ship the anchor off the host
(`chattr +a`, a log collector) where that matters. Entries committed after the last anchor line
(a crash between commit and anchor) are covered by the chain only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import AuditEntry

GENESIS = "0" * 64
ANCHOR_NAME = "audit.anchor"
_APPENDED = "adal.audit.appended"
_TAIL = "adal.audit.tail"
log = logging.getLogger("adal.audit")


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
        session.info[_APPENDED] = True  # the anchor hook records the tail at commit
        return entry
    raise RuntimeError("audit log is too busy to append")


# --- the anchor outside the database ------------------------------------------------------


def install_anchor(factory: sessionmaker[Session], path: Path) -> None:
    """Append the newest entry's id and hash to `path` after every commit that added entries.

    The tail is read just before the commit, inside the transaction, so it is an entry this
    commit makes durable (ours, or a newer one a concurrent writer committed first).
    """

    @event.listens_for(factory, "before_commit")
    def _read_tail(session: Session) -> None:
        if session.in_nested_transaction() or not session.info.pop(_APPENDED, False):
            return
        session.info[_TAIL] = session.execute(
            select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
        ).first()

    @event.listens_for(factory, "after_commit")
    def _write(session: Session) -> None:
        if session.in_nested_transaction():
            return
        tail = session.info.pop(_TAIL, None)
        if tail is not None:
            write_anchor(path, int(tail[0]), str(tail[1]))

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        if not session.in_nested_transaction():
            session.info.pop(_APPENDED, None)
            session.info.pop(_TAIL, None)


def write_anchor(path: Path, entry_id: int, digest: str) -> None:
    line = f"{entry_id} {digest}\n".encode()
    try:
        # O_APPEND: lines from concurrent processes never interleave; 0600 like the instance.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        # The action is already committed; failing the request would not undo it. `verify`
        # still checks the last anchor that was written.
        log.error("cannot write the audit anchor %s: %s", path, exc.strerror)


def read_anchor(path: Path) -> tuple[int, str] | None:
    """The anchored entry with the highest id, or None when there is no anchor file.

    Lines from concurrent writers may arrive out of order, hence the maximum, not the last.
    A line that does not parse is ignored (a torn write at a crash).
    """
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    best: tuple[int, str] | None = None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
            continue
        candidate = (int(parts[0]), parts[1])
        if best is None or candidate[0] > best[0]:
            best = candidate
    return best


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""
    # None: no anchor was given to check against; False: one was expected but is missing.
    anchored: bool | None = None
    # Stable name of the failure, for translated messages: "link", "content", "anchor_hash",
    # "anchor_entry_missing" or "anchor_missing".
    code: str = ""


def verify(session: Session, anchor: Path | None = None) -> Verification:
    """Check the chain, and with `anchor` that the anchored newest entry is still there."""
    anchored = read_anchor(anchor) if anchor is not None else None
    prev = GENESIS
    checked = 0
    seen_anchor = False
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    for entry in rows:
        if entry.prev_hash != prev:
            return Verification(False, checked, entry.id, "does not follow the previous entry",
                                code="link")
        if entry_hash(entry) != entry.entry_hash:
            return Verification(False, checked, entry.id, "content does not match its hash",
                                code="content")
        if anchored is not None and entry.id == anchored[0]:
            if entry.entry_hash != anchored[1]:
                return Verification(False, checked, entry.id,
                                    "differs from the hash the anchor recorded",
                                    code="anchor_hash")
            seen_anchor = True
        prev = entry.entry_hash
        checked += 1
    if anchored is not None and not seen_anchor:
        return Verification(False, checked, anchored[0],
                            "is missing: the anchor recorded it, the log no longer has it",
                            code="anchor_entry_missing")
    if anchor is None:
        return Verification(True, checked)
    if anchored is None:
        # Entries without any anchor: the file was removed, or the log was written by a process
        # without the hook. Either way the newest entries are unprotected; say so.
        if checked:
            return Verification(False, checked, None,
                                f"the anchor file {anchor} is missing or empty", anchored=False,
                                code="anchor_missing")
        return Verification(True, checked, anchored=False)
    return Verification(True, checked, anchored=True)
