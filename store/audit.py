"""Append-only audit log: each entry's hash covers its content and the previous entry's hash.

Editing, deleting or reordering a row breaks the chain at that row, and `verify` names it.

**One chain per organization** (issue 13): an entry's predecessor is the previous entry *of the
same organization* (`org_id`; NULL is the platform's own chain: the operator's work on the tree
and the national calendar), so one organization's auditor verifies its trail without reading
another's, and appends in different organizations never race for the same predecessor. Each
chain starts from its own genesis (`genesis`), so `prev_hash` stays unique across chains and an
entry moved from one chain to another breaks both. Organization 1's genesis is 64 zeros: it is
the chain every installation had before organizations (migration 0010 gave every entry
org_id 1), which therefore verifies unchanged, MACs and anchor included.

The chain alone cannot show that its newest rows were deleted, and anyone who can write the
database can recompute every hash after an edit. The **anchor** closes both gaps: after each
commit that appended entries, the id and hash of the newest entry are appended as a line to a
file outside the database (`audit.anchor` in the instance folder, see `install_anchor`).
`verify` then requires the anchored entry to exist with that hash. A line names the chain it
anchors (`<id> <hash> <org id or ->`); a line of the older form (`<id> <hash>`) anchors
organization 1, whose chain was the only one when it was written. Limitation: someone who can
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

from sqlalchemy import ColumnElement, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.db import savepoint
from store.models import MIGRATED_ORG_ID, AuditEntry

GENESIS = "0" * 64
# The organization migration 0010 made of an installation from before organizations: its chain
# is the old single chain, with the old genesis and anchor lines and the unkeyed legacy entries.
LEGACY_ORG = MIGRATED_ORG_ID
PLATFORM = "-"  # the platform chain's name in the anchor file
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


def genesis(org_id: int | None) -> str:
    """The predecessor of a chain's first entry: distinct per chain (see the module's text)."""
    if org_id == LEGACY_ORG:
        return GENESIS
    label = "platform" if org_id is None else str(org_id)
    return hashlib.sha256(f"adal-audit-genesis:{label}".encode()).hexdigest()


def in_chain(org_id: int | None) -> ColumnElement[bool]:
    """The entries of one chain (NULL: the platform's)."""
    return AuditEntry.org_id.is_(None) if org_id is None else AuditEntry.org_id == org_id


def _tail(session: Session, org_id: int | None) -> tuple[int, str] | None:
    row = session.execute(
        select(AuditEntry.id, AuditEntry.entry_hash)
        .where(in_chain(org_id))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def _last_hash(session: Session, org_id: int | None) -> str:
    tail = _tail(session, org_id)
    return tail[1] if tail is not None else genesis(org_id)


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

    A concurrent writer in the same chain that took the same predecessor makes the flush fail on
    the unique `prev_hash`; the savepoint lets us retry on the new tail without losing the
    caller's work. Writers in different chains never share a predecessor.
    """
    at = at or datetime.now(UTC)
    for _attempt in range(10):
        prev = _last_hash(session, org_id)
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
            with savepoint(session):
                session.add(entry)
        except IntegrityError:
            continue
        # The anchor hook records the tail of every chain this transaction appended to.
        chains: set[int | None] = session.info.setdefault(_APPENDED, set())
        chains.add(org_id)
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
    """Append the newest entry's id and hash of every chain a commit added entries to to `path`.

    The tails are read just before the commit, inside the transaction, so each is an entry this
    commit makes durable (ours, or a newer one a concurrent writer committed first).
    """

    @event.listens_for(factory, "before_commit")
    def _read_tail(session: Session) -> None:
        if session.in_nested_transaction():
            return
        chains = session.info.pop(_APPENDED, None)
        if not chains:
            return
        tails = []
        for org_id in sorted(chains, key=lambda o: -1 if o is None else o):
            tail = _tail(session, org_id)
            if tail is not None:
                tails.append((org_id, *tail))
        session.info[_TAIL] = tails

    @event.listens_for(factory, "after_commit")
    def _write(session: Session) -> None:
        if session.in_nested_transaction():
            return
        for org_id, entry_id, digest in session.info.pop(_TAIL, None) or ():
            write_anchor(path, entry_id, digest, org_id)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        if not session.in_nested_transaction():
            session.info.pop(_APPENDED, None)
            session.info.pop(_TAIL, None)


def write_anchor(path: Path, entry_id: int, digest: str, org_id: int | None) -> None:
    chain = PLATFORM if org_id is None else str(org_id)
    line = f"{entry_id} {digest} {chain}\n".encode()
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


def read_anchors(path: Path) -> dict[int | None, tuple[int, str]] | None:
    """Per chain, the anchored entry with the highest id; None when there is no anchor file.

    Lines from concurrent writers may arrive out of order, hence the maximum, not the last.
    A line that does not parse is ignored (a torn write at a crash). A line without a chain
    (written before organizations) anchors organization 1.
    """
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    best: dict[int | None, tuple[int, str]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) not in (2, 3) or not parts[0].isdigit() or len(parts[1]) != 64:
            continue
        chain: int | None = LEGACY_ORG
        if len(parts) == 3:
            if parts[2] == PLATFORM:
                chain = None
            elif parts[2].isdigit():
                chain = int(parts[2])
            else:
                continue
        candidate = (int(parts[0]), parts[1])
        if chain not in best or candidate[0] > best[chain][0]:
            best[chain] = candidate
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
    # The chain checked (None: the platform's; for `verify`, the failing chain or None).
    org_id: int | None = None


class _Chain:
    """One chain's walk in id order: the first failure is kept, later entries are counted out."""

    def __init__(
        self, org_id: int | None, key: ChainKey | None, anchored: tuple[int, str] | None
    ) -> None:
        self.org_id = org_id
        self.key = key
        self.anchored = anchored
        # Only organization 1's chain holds entries from before the key (see LEGACY_ORG).
        self.legacy = key.legacy_id if key is not None and org_id == LEGACY_ORG else 0
        self.prev = genesis(org_id)
        self.checked = 0
        self.failure: Verification | None = None
        self.seen_anchor = self.seen_legacy = False

    def _fail(self, entry_id: int | None, reason: str, code: str, **extra: Any) -> None:
        self.failure = Verification(
            False,
            self.checked,
            entry_id,
            reason,
            code=code,
            legacy_id=self.key.legacy_id if self.key is not None else None,
            org_id=self.org_id,
            **extra,
        )

    def step(self, entry: AuditEntry) -> None:
        if self.failure is not None:
            return
        if entry.prev_hash != self.prev:
            return self._fail(entry.id, "does not follow the previous entry", "link")
        if entry_hash(entry) != entry.entry_hash:
            return self._fail(entry.id, "content does not match its hash", "content")
        if self.key is not None:
            if entry.id > self.legacy:
                if entry.entry_mac is None or not hmac.compare_digest(
                    entry.entry_mac, self.key.mac(entry.entry_hash)
                ):
                    return self._fail(
                        entry.id,
                        "has no valid MAC under audit.key: it was written or "
                        "changed without the back office's key",
                        "mac",
                    )
            elif entry.id == self.legacy:
                if entry.entry_hash != self.key.legacy_hash:
                    return self._fail(
                        entry.id,
                        "differs from the hash audit.key recorded when the chain was keyed",
                        "legacy_hash",
                    )
                self.seen_legacy = True
        if self.anchored is not None and entry.id == self.anchored[0]:
            if entry.entry_hash != self.anchored[1]:
                self.failure = Verification(
                    False,
                    self.checked,
                    entry.id,
                    "differs from the hash the anchor recorded",
                    code="anchor_hash",
                    org_id=self.org_id,
                )
                return None
            self.seen_anchor = True
        self.prev = entry.entry_hash
        self.checked += 1
        return None

    def result(self, anchor: Path | None) -> Verification:
        if self.failure is not None:
            return self.failure
        legacy_id = self.key.legacy_id if self.key is not None else None
        if self.legacy and not self.seen_legacy:
            self._fail(
                self.legacy,
                "is missing: audit.key recorded it, the log no longer has it",
                "legacy_missing",
            )
        elif self.anchored is not None and not self.seen_anchor:
            self._fail(
                self.anchored[0],
                "is missing: the anchor recorded it, the log no longer has it",
                "anchor_entry_missing",
            )
        elif anchor is not None and self.anchored is None and self.checked:
            # Entries without any anchor: the file (or this chain's lines) was removed, or the
            # log was written by a process without the hook. Either way the newest entries are
            # unprotected; say so.
            self._fail(
                None,
                f"the anchor file {anchor} is missing or has no line for this chain",
                "anchor_missing",
                anchored=False,
            )
        if self.failure is not None:
            return self.failure
        anchored = None if anchor is None else self.anchored is not None
        return Verification(
            True, self.checked, anchored=anchored, legacy_id=legacy_id, org_id=self.org_id
        )


def _walk(
    session: Session,
    chains: list[int | None] | None,
    anchor: Path | None,
    key: ChainKey | None,
) -> list[Verification]:
    """Walk the given chains (None: every chain in the log or the anchor) in one pass."""
    anchors = read_anchors(anchor) if anchor is not None else None
    query = select(AuditEntry).order_by(AuditEntry.id)
    if chains is None:
        found = set(session.scalars(select(AuditEntry.org_id).distinct()))
        wanted = sorted({None, *found, *(anchors or {})}, key=lambda o: -1 if o is None else o)
    else:
        wanted = chains
        if len(chains) == 1:
            query = query.where(in_chain(chains[0]))
    walkers = {o: _Chain(o, key, (anchors or {}).get(o)) for o in wanted}
    for entry in session.execute(query).scalars():
        walker = walkers.get(entry.org_id)
        if walker is not None:
            walker.step(entry)
    return [walkers[o].result(anchor) for o in wanted]


def verify_chain(
    session: Session,
    org_id: int | None,
    anchor: Path | None = None,
    key: ChainKey | None = None,
) -> Verification:
    """Check one organization's chain (None: the platform's) and nothing of any other: what an
    organization's auditor may run."""
    return _walk(session, [org_id], anchor, key)[0]


def verify_all(
    session: Session, anchor: Path | None = None, key: ChainKey | None = None
) -> list[Verification]:
    """Every chain's result: the platform's first, then by organization id."""
    return _walk(session, None, anchor, key)


def verify(
    session: Session, anchor: Path | None = None, key: ChainKey | None = None
) -> Verification:
    """Check every chain; with `key`, that every entry after the legacy ones carries the back
    office's MAC; with `anchor`, that each chain's anchored newest entry is still there. The
    first failing chain's result, or OK with the entries of all chains counted."""
    results = verify_all(session, anchor, key)
    for result in results:
        if not result.ok:
            return result
    anchored = None if anchor is None else all(r.anchored for r in results if r.checked)
    if anchor is not None and not any(r.checked for r in results):
        anchored = False
    return Verification(
        True,
        sum(r.checked for r in results),
        anchored=anchored,
        legacy_id=key.legacy_id if key is not None else None,
    )
