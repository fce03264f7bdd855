"""Files of a report or a message: sealed as they arrive, linked to their owner all at once.

Two ways in, one end state (a complete file envelope with an Attachment row):
  * streamed (the portal): while the body arrives, each file is encrypted into its own
    envelope, its chunks committed in small batches, so a long upload does not hold the
    database's write lock. Such an envelope has no `chunk_count` and no Attachment row: it is
    invisible and, if the request dies, an orphan that `cases.housekeeping` removes. The owner's
    one transaction then completes and links it (`attach_stored`);
  * whole (the back office, whose request parser has the files in memory already): sealed and
    linked inside the owner's transaction (`attach_uploads`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from store import payloads
from store.models import Attachment
from store.sealing import FileWriter, mark_complete, shred

# Files one sending takes, in either app: more is refused whole, never silently cut.
MAX_FILES = 20
CHUNK_BATCH = 32  # 32 × 64 KiB: about 2 MiB per commit
READ_SIZE = 256 * 1024


@dataclass(frozen=True)
class StoredFile:
    envelope_id: str
    chunk_count: int
    filename: str
    size: int


class SealingSink:
    """Takes one file's bytes as they arrive; `end` leaves it stored but not yet complete."""

    def __init__(self, files: StreamedFiles, writer: FileWriter, filename: str) -> None:
        self.files = files
        self.writer = writer
        self.filename = filename
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self.writer.write(data)

    def end(self) -> None:
        count = self.writer.close_stream()
        self.files.stored.append(
            StoredFile(self.writer.envelope_id, count, self.filename, self.size)
        )


@dataclass
class StreamedFiles:
    """The files of one sending, each stored in transactions of its own as it streams in."""

    sessions: sessionmaker[Session]
    recipients: Sequence[bytes]
    today: date
    stored: list[StoredFile] = field(default_factory=list)
    _session: Session | None = None
    _started: list[str] = field(default_factory=list)

    @property
    def started(self) -> int:
        """Files begun, finished or not: what a limit on the number of files counts."""
        return len(self._started)

    def begin(self, filename: str, content_type: str) -> SealingSink:
        if self._session is None:
            self._session = self.sessions()
        writer = FileWriter(
            self._session, self.recipients, self.today, batch=CHUNK_BATCH, commit_batches=True
        )
        self._started.append(writer.envelope_id)
        writer.write(payloads.file_meta_header(filename, content_type))
        return SealingSink(self, writer, payloads.clean_filename(filename))

    def shred(self) -> None:
        """Shred every file begun: the sending was refused or failed."""
        if self._session is not None:
            self._session.rollback()
            self._session.close()
            self._session = None
        if self._started:
            with self.sessions() as db, db.begin():
                for envelope_id in self._started:
                    shred(db, envelope_id)
        self._started.clear()
        self.stored.clear()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


@dataclass(frozen=True)
class Upload:
    """A file the caller holds whole (the back office's request parser keeps it in memory)."""

    filename: str
    content_type: str
    stream: IO[bytes]


def _read(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(READ_SIZE):
        yield chunk


def attach_stored(
    session: Session, submission_id: str, files: Sequence[StoredFile], message_id: int | None = None
) -> None:
    """Complete and link streamed files in the owner's transaction."""
    for f in files:
        mark_complete(session, f.envelope_id, f.chunk_count)
        session.add(
            Attachment(
                submission_id=submission_id, message_id=message_id, envelope_id=f.envelope_id
            )
        )


def attach_uploads(
    session: Session,
    submission_id: str,
    uploads: Sequence[Upload],
    recipients: Sequence[bytes],
    today: date,
) -> None:
    """Seal whole files and link them in the owner's transaction."""
    for upload in uploads:
        writer = FileWriter(session, recipients, today)
        writer.write(payloads.file_meta_header(upload.filename, upload.content_type))
        for chunk in _read(upload.stream):
            writer.write(chunk)
        envelope = writer.finish()
        session.add(Attachment(submission_id=submission_id, envelope_id=envelope.id))
