"""Envelopes in the database: seal, open, grant and revoke, and files as chunk rows.

The associated data names the envelope's purpose and id, so a body copied into another row (or a
chunk into another file) no longer opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crypto import envelope as env
from crypto import keys as ckeys
from crypto import stream
from crypto.errors import DecryptionError
from crypto.keys import PrivateKey
from store.models import Envelope, FileChunk, Grant, new_id

PURPOSES = ("report", "identity", "message", "file", "protection", "note")


def aad(purpose: str, envelope_id: str) -> bytes:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown envelope purpose {purpose!r}")
    return f"adal/v1/{purpose}/{envelope_id}".encode()


def _grant_rows(envelope_id: str, grants: Iterable[env.Grant]) -> list[Grant]:
    return [
        Grant(envelope_id=envelope_id, key_id=g.recipient_id, sealed_key=g.sealed_key)
        for g in grants
    ]


def seal(
    session: Session,
    purpose: str,
    payload: bytes,
    recipients: Sequence[bytes],
    today: date,
) -> Envelope:
    envelope_id = new_id()
    sealed = env.seal(payload, list(recipients), aad(purpose, envelope_id))
    row = Envelope(id=envelope_id, purpose=purpose, body=sealed.body, created_on=today)
    row.grants = _grant_rows(envelope_id, sealed.grants)
    session.add(row)
    return row


def open_data_key(envelope: Envelope, private_key: PrivateKey) -> env.DataKey:
    """Raises crypto.errors.DecryptionError when this key holds no grant.

    Only this key's own grant row is parsed, so one damaged row for another recipient cannot
    lock everyone out of the envelope.
    """
    own = ckeys.key_id(private_key.public_key)
    mine = [
        env.Grant(recipient_id=g.key_id, sealed_key=g.sealed_key)
        for g in envelope.grants
        if g.key_id == own
    ]
    return env.open_data_key(mine, private_key)


def open_body(envelope: Envelope, private_key: PrivateKey, *, expect: str) -> bytes:
    """Open an envelope as what the caller found it referenced as (`expect`, e.g. "identity" for
    a submission's identity envelope).

    The associated data is built from `expect`, not from the row's own `purpose`, which is
    written by whoever inserted the row: a report envelope that a forged submission names as its
    identity block does not open, whatever its purpose column says.
    """
    if envelope.purpose != expect:
        raise DecryptionError(f"a {envelope.purpose!r} envelope referenced as {expect!r}")
    if envelope.body is None:
        raise ValueError("a file envelope has no body; use read_file")
    key = open_data_key(envelope, private_key)
    return env.open_body(envelope.body, key, aad(expect, envelope.id))


def holds(envelope: Envelope, key_id: str) -> bool:
    return any(g.key_id == key_id for g in envelope.grants)


def add_grant(
    session: Session, envelope: Envelope, data_key: env.DataKey, recipient: bytes
) -> None:
    grant = env.grant_for(data_key, recipient)
    if holds(envelope, grant.recipient_id):
        return
    envelope.grants.append(
        Grant(envelope_id=envelope.id, key_id=grant.recipient_id, sealed_key=grant.sealed_key)
    )
    session.flush()


def revoke_grant(session: Session, envelope: Envelope, key_id: str) -> None:
    session.execute(delete(Grant).where(Grant.envelope_id == envelope.id, Grant.key_id == key_id))
    session.expire(envelope, ["grants"])


def shred(session: Session, envelope_id: str) -> None:
    """Crypto-shred: grants, chunks and body go; the data key no longer exists anywhere."""
    session.execute(delete(Grant).where(Grant.envelope_id == envelope_id))
    session.execute(delete(FileChunk).where(FileChunk.envelope_id == envelope_id))
    session.execute(delete(Envelope).where(Envelope.id == envelope_id))


class FileWriter:
    """Encrypts a file as it arrives and stores it as chunk rows.

    Chunks are flushed in small batches through the caller's session; the envelope counts as
    complete only when `finish` records `chunk_count`, so a crash mid-upload leaves a detectable
    incomplete envelope and never a short file that opens.
    """

    def __init__(
        self,
        session: Session,
        recipients: Sequence[bytes],
        today: date,
        batch: int = 16,
        *,
        commit_batches: bool = False,
    ) -> None:
        self.session = session
        # Committing each batch keeps a long upload from holding SQLite's single write lock
        # (and a PostgreSQL transaction) open for the whole transfer; the envelope stays
        # incomplete (chunk_count NULL) until the owner's transaction calls `mark_complete`.
        self._commit_batches = commit_batches
        self.envelope_id = new_id()
        self._enc = stream.StreamEncryptor(list(recipients), aad("file", self.envelope_id))
        self.envelope = Envelope(
            id=self.envelope_id,
            purpose="file",
            body=None,
            stream_header=self._enc.header,
            created_on=today,
        )
        self.envelope.grants = _grant_rows(self.envelope_id, self._enc.grants)
        session.add(self.envelope)
        session.flush()
        if commit_batches:
            session.commit()
        self._seq = 0
        self._pending: list[FileChunk] = []
        self._batch = batch
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        for chunk in self._enc.update(data):
            self._add(chunk)

    def _add(self, chunk: bytes) -> None:
        self._pending.append(FileChunk(envelope_id=self.envelope_id, seq=self._seq, data=chunk))
        self._seq += 1
        if len(self._pending) >= self._batch:
            self._flush()

    def _flush(self) -> None:
        self.session.add_all(self._pending)
        self.session.flush()
        # Flushed rows need not stay in the identity map: memory stays flat in the file size.
        for row in self._pending:
            self.session.expunge(row)
        self._pending = []
        if self._commit_batches:
            self.session.commit()

    def close_stream(self) -> int:
        """Store the final chunk and return the chunk count, leaving the envelope incomplete.

        For callers that link the file to its owner in a later transaction: they record the
        count there with `mark_complete`, so "complete" and "attached" become true together.
        """
        self._add(self._enc.finalize())
        self._flush()
        return self._seq

    def finish(self) -> Envelope:
        self.envelope.chunk_count = self.close_stream()
        self.session.flush()
        return self.envelope


def mark_complete(session: Session, envelope_id: str, chunk_count: int) -> None:
    """Record a streamed file's chunk count; raises LookupError if the envelope is gone (e.g.
    removed as an orphan) or was already completed, so the caller's transaction rolls back."""
    result = session.execute(
        update(Envelope)
        .where(
            Envelope.id == envelope_id, Envelope.purpose == "file", Envelope.chunk_count.is_(None)
        )
        .values(chunk_count=chunk_count)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LookupError("file envelope is missing or already complete")


def iter_file(session: Session, envelope: Envelope, private_key: PrivateKey) -> Iterator[bytes]:
    """Decrypt a file chunk by chunk; raises DecryptionError on a missing or altered chunk."""
    key = open_data_key(envelope, private_key)
    if envelope.stream_header is None or envelope.chunk_count is None:
        raise DecryptionError("file is incomplete")
    dec = stream.StreamDecryptor(envelope.stream_header, key, aad("file", envelope.id))
    seen = 0
    rows = session.execute(
        select(FileChunk.data)
        .where(FileChunk.envelope_id == envelope.id)
        .order_by(FileChunk.seq)
        .execution_options(yield_per=8)
    )
    for (data,) in rows:
        seen += 1
        plain = dec.update(data)
        if plain:
            yield plain
    dec.finalize()
    if seen != envelope.chunk_count:
        raise DecryptionError("file has a wrong number of chunks")
