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

The chain and the anchor together still let whoever can write the *database* alone append a
chain-valid entry after the last anchored one (issue 12, item 5). So every entry also carries a
**MAC**: HMAC-SHA256 of its hash under a key that lives in the back office's instance folder
(`audit.key`, see `install`), never in the database. Without that key a database writer can
neither append an entry that verifies nor rewrite one. The portal never appends (its database
role may not even read `audit_log`) and its host has no `audit.key`.

Installations from before the key: the first back-office process after the upgrade creates
`audit.key` and records in it the newest entry as it then stands (id and hash). Entries up to
that one have no MAC and are vouched for by the unkeyed chain, which must still end exactly at
that recorded hash; every later entry must carry a valid MAC. A new installation records entry 0
(the chain is keyed from the start).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import AuditEntry

GENESIS = "0" * 64
ANCHOR_NAME = "audit.anchor"
KEY_NAME = "audit.key"
KEY_SIZE = 32
_APPENDED = "adal.audit.appended"
_TAIL = "adal.audit.tail"
_KEY = "adal.audit.key"
log = logging.getLogger("adal.audit")


def _canonical(
    at: datetime,
    actor: str | None,
    action: str,
    target: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> bytes:
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
    data = _canonical(
        at, entry.actor, entry.action, entry.target, entry.details or {}, entry.prev_hash
    )
    return hashlib.sha256(data).hexdigest()


def _last_hash(session: Session) -> str:
    last = session.execute(
        select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


# --- the key outside the database ---------------------------------------------------------


@dataclass(frozen=True)
class ChainKey:
    """`audit.key`: the MAC key, and the newest entry written before the chain was keyed."""

    key: bytes = field(repr=False)
    legacy_id: int = 0  # 0: every entry is keyed
    legacy_hash: str = GENESIS

    def mac(self, digest: str) -> str:
        return hmac.new(self.key, b"adal-audit-v1:" + digest.encode(), hashlib.sha256).hexdigest()

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": 1,
                "key": base64.b64encode(self.key).decode(),
                "legacy_id": self.legacy_id,
                "legacy_hash": self.legacy_hash,
            },
            indent=2,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ChainKey:
        record = json.loads(data)
        key = base64.b64decode(record["key"])
        if record.get("format") != 1 or len(key) != KEY_SIZE:
            raise ValueError("unknown format")
        return cls(key, int(record["legacy_id"]), str(record["legacy_hash"]))


class AuditKeyError(Exception):
    """audit.key is unreadable or damaged."""


def read_key(folder: Path) -> ChainKey | None:
    path = folder / KEY_NAME
    try:
        return ChainKey.from_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuditKeyError(f"cannot read {path}: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditKeyError(f"{path} is damaged") from exc


def _create_key(factory: sessionmaker[Session], folder: Path) -> ChainKey:
    """A new key that vouches for what is already in the log, or the one another process made.

    Written under a temporary name and linked into place, so concurrent back-office processes
    upgrading together agree on one key and one boundary.
    """
    with factory() as session:
        tail = session.execute(
            select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
        ).first()
    created = ChainKey(secrets.token_bytes(KEY_SIZE), *(tail if tail else (0, GENESIS)))
    path = folder / KEY_NAME
    temporary = folder / f".{KEY_NAME}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(created.to_json())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            found = read_key(folder)
            if found is None:  # pragma: no cover - linked and removed within a moment
                raise AuditKeyError(f"{path} vanished while it was being created") from None
            return found
    finally:
        temporary.unlink(missing_ok=True)
    if created.legacy_id:
        log.warning(
            "created %s: entries up to %d predate the keyed audit chain", path, created.legacy_id
        )
    return created


def key_of(session: Session) -> ChainKey | None:
    """The key `install` gave this session's factory (None: a process without the key)."""
    key = session.info.get(_KEY)
    return key if isinstance(key, ChainKey) else None


def append(
    session: Session,
    action: str,
    *,
    actor: str | None = None,
    org_id: int | None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add an entry inside the caller's transaction (it commits or rolls back with the action).

    `org_id` is required (None only for the platform's own actions): an entry names the
    organization whose trail it belongs to, so that organization's auditor sees it and no other.

    A concurrent writer that took the same predecessor makes the flush fail on the unique
    `prev_hash`; the savepoint lets us retry on the new tail without losing the caller's work.
    """
    at = at or datetime.now(UTC)
    for _attempt in range(10):
        prev = _last_hash(session)
        entry = AuditEntry(
            at=at,
            org_id=org_id,
            actor=actor,
            action=action,
            target=target,
            details=dict(details or {}),
            prev_hash=prev,
            entry_hash="",
        )
        entry.entry_hash = entry_hash(entry)
        key = key_of(session)
        # Without the key (a session not made by `install`) the entry has no MAC, and a
        # verification with the key rejects it: exactly what a database-only writer gets.
        entry.entry_mac = key.mac(entry.entry_hash) if key is not None else None
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            continue
        session.info[_APPENDED] = True  # the anchor hook records the tail at commit
        return entry
    raise RuntimeError("audit log is too busy to append")


# --- the anchor outside the database ------------------------------------------------------


def install(factory: sessionmaker[Session], folder: Path) -> ChainKey:
    """What every back-office process does with its session factory: sessions carry the audit
    key (created on first use, see `_create_key`) and commits move the anchor. Never on the
    portal, which holds no key and may not read the log."""
    key = read_key(folder) or _create_key(factory, folder)
    info = dict(factory.kw.get("info") or {})
    info[_KEY] = key
    factory.configure(info=info)
    _install_anchor_hooks(factory, folder / ANCHOR_NAME)
    return key


def install_anchor(factory: sessionmaker[Session], path: Path) -> None:
    """`install` for callers that name the anchor file: the key lives beside it."""
    install(factory, path.parent)


def _install_anchor_hooks(factory: sessionmaker[Session], path: Path) -> None:
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
    # Stable name of the failure, for translated messages: "link", "content", "mac",
    # "legacy_hash", "legacy_missing", "anchor_hash", "anchor_entry_missing" or
    # "anchor_missing".
    code: str = ""
    # With a key: the newest entry from before the chain was keyed (0: none).
    legacy_id: int | None = None


def verify(
    session: Session, anchor: Path | None = None, key: ChainKey | None = None
) -> Verification:
    """Check the chain; with `key`, that every entry after the legacy ones carries the back
    office's MAC; with `anchor`, that the anchored newest entry is still there."""
    anchored = read_anchor(anchor) if anchor is not None else None
    legacy = key.legacy_id if key is not None else None
    prev = GENESIS
    checked = 0
    seen_anchor = seen_legacy = False
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    for entry in rows:
        if entry.prev_hash != prev:
            return Verification(
                False,
                checked,
                entry.id,
                "does not follow the previous entry",
                code="link",
                legacy_id=legacy,
            )
        if entry_hash(entry) != entry.entry_hash:
            return Verification(
                False,
                checked,
                entry.id,
                "content does not match its hash",
                code="content",
                legacy_id=legacy,
            )
        if key is not None:
            if entry.id > key.legacy_id:
                if entry.entry_mac is None or not hmac.compare_digest(
                    entry.entry_mac, key.mac(entry.entry_hash)
                ):
                    return Verification(
                        False,
                        checked,
                        entry.id,
                        "has no valid MAC under audit.key: it was written or "
                        "changed without the back office's key",
                        code="mac",
                        legacy_id=legacy,
                    )
            elif entry.id == key.legacy_id:
                if entry.entry_hash != key.legacy_hash:
                    return Verification(
                        False,
                        checked,
                        entry.id,
                        "differs from the hash audit.key recorded when the chain was keyed",
                        code="legacy_hash",
                        legacy_id=legacy,
                    )
                seen_legacy = True
        if anchored is not None and entry.id == anchored[0]:
            if entry.entry_hash != anchored[1]:
                return Verification(
                    False,
                    checked,
                    entry.id,
                    "differs from the hash the anchor recorded",
                    code="anchor_hash",
                )
            seen_anchor = True
        prev = entry.entry_hash
        checked += 1
    if key is not None and key.legacy_id and not seen_legacy:
        return Verification(
            False,
            checked,
            key.legacy_id,
            "is missing: audit.key recorded it, the log no longer has it",
            code="legacy_missing",
            legacy_id=legacy,
        )
    if anchored is not None and not seen_anchor:
        return Verification(
            False,
            checked,
            anchored[0],
            "is missing: the anchor recorded it, the log no longer has it",
            code="anchor_entry_missing",
            legacy_id=legacy,
        )
    if anchor is None:
        return Verification(True, checked, legacy_id=legacy)
    if anchored is None:
        # Entries without any anchor: the file was removed, or the log was written by a process
        # without the hook. Either way the newest entries are unprotected; say so.
        if checked:
            return Verification(
                False,
                checked,
                None,
                f"the anchor file {anchor} is missing or empty",
                anchored=False,
                code="anchor_missing",
                legacy_id=legacy,
            )
        return Verification(True, checked, anchored=False, legacy_id=legacy)
    return Verification(True, checked, anchored=True, legacy_id=legacy)
