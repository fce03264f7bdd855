"""Storing what a reporter sends: files as they stream in, then the report or follow-up whole.

Two kinds of transaction, so a crash never leaves half a report:
  * while the body arrives, each file is encrypted into its own envelope, its chunks committed
    in small batches (a long upload must not hold the database's write lock). Such an envelope
    has no `chunk_count` and no Attachment row: it is invisible and, if the request dies, an
    orphan that `cases.housekeeping` removes;
  * at the end, ONE transaction writes the submission (or message), its envelopes and grants,
    the mailbox, the Attachment rows, and marks each file complete. Either all of it exists
    afterwards, or none of it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crypto.kdf import ReceiptSecrets
from portal.uploads import TooManyFiles
from store import payloads
from store.models import Attachment, Mailbox, Message, Submission
from store.sealing import FileWriter, mark_complete, seal, shred

FILE_FIELD = "files"
MAX_FILES = 20
CHUNK_BATCH = 32  # 32 × 64 KiB: about 2 MiB per commit


@dataclass(frozen=True)
class StoredFile:
    envelope_id: str
    chunk_count: int
    filename: str
    size: int


class _Sink:
    def __init__(self, intake: FileIntake, writer: FileWriter, filename: str) -> None:
        self.intake = intake
        self.writer = writer
        self.filename = filename
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        self.writer.write(data)

    def end(self) -> None:
        count = self.writer.close_stream()
        self.intake.stored.append(
            StoredFile(self.writer.envelope_id, count, self.filename, self.size))


@dataclass
class FileIntake:
    """Receives the file parts of one request (see portal.uploads.parse)."""

    sessions: sessionmaker[Session]
    recipients: Sequence[bytes]
    today: date
    accepting: bool = False  # set once the form's CSRF token has been checked
    stored: list[StoredFile] = field(default_factory=list)
    _session: Session | None = None
    _started: list[str] = field(default_factory=list)

    def on_file(self, name: str, filename: str, content_type: str) -> _Sink | None:
        if name != FILE_FIELD or not filename:
            return None  # an empty file input sends a part with no name: nothing to keep
        if not self.accepting:
            # portal.receive refuses such a part before it gets here; this only makes sure
            # that no file is ever kept without a checked token.
            return None
        if len(self._started) >= MAX_FILES:
            raise TooManyFiles("more files than one sending takes")
        if self._session is None:
            self._session = self.sessions()
        writer = FileWriter(self._session, self.recipients, self.today, batch=CHUNK_BATCH,
                            commit_batches=True)
        self._started.append(writer.envelope_id)
        writer.write(payloads.file_meta_header(filename, content_type))
        return _Sink(self, writer, payloads.clean_filename(filename))

    def discard(self) -> None:
        """Shred every file this request began: the form was refused or the request failed."""
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


def _attach(db: Session, submission_id: str, files: Sequence[StoredFile],
            message_id: int | None = None) -> None:
    for f in files:
        mark_complete(db, f.envelope_id, f.chunk_count)
        db.add(Attachment(submission_id=submission_id, message_id=message_id,
                          envelope_id=f.envelope_id))


@dataclass(frozen=True)
class ReportInput:
    fields: dict[str, str]
    identity: dict[str, str] | None
    consent: bool
    consent_text: str
    nda_intended: bool
    language: str


def store_report(db: Session, report: ReportInput, files: Sequence[StoredFile],
                 report_keys: Sequence[bytes], identity_keys: Sequence[bytes],
                 secrets: ReceiptSecrets, mailbox_public: bytes, received_at: datetime,
                 today: date) -> Submission:
    """Everything of a new report in the caller's (single) transaction."""
    stamp = payloads.utc_timestamp(received_at)
    body: dict[str, Any] = {
        "received_at": stamp,
        "channel": "portal",
        "language": report.language,
        **report.fields,
        "identity_provided": report.identity is not None,
        "consent": report.consent,
        "nda_intended": report.nda_intended,
        "false_report_acknowledged": True,
        "attachment_count": len(files),
    }
    report_env = seal(db, "report", payloads.encode(payloads.REPORT_FORMAT, body),
                      report_keys, today)
    identity_env = None
    if report.identity is not None:
        identity_env = seal(db, "identity", payloads.encode(payloads.IDENTITY_FORMAT, {
            "received_at": stamp, **report.identity, "consent": report.consent,
            "consent_text": report.consent_text,
        }), identity_keys, today)
    mailbox = Mailbox(lookup_tag=secrets.lookup_tag, public_key=mailbox_public,
                      status="received", created_on=today)
    db.add(mailbox)
    submission = Submission(channel="portal", received_on=today,
                            report_envelope_id=report_env.id,
                            identity_envelope_id=identity_env.id if identity_env else None,
                            mailbox=mailbox)
    db.add(submission)
    db.flush()
    _attach(db, submission.id, files)
    return submission


def store_followup(db: Session, submission: Submission, holder_keys: Sequence[bytes],
                   mailbox_public: bytes, text: str, files: Sequence[StoredFile],
                   sent_at: datetime, today: date) -> Message:
    """A reporter's message and its files in the caller's (single) transaction.

    The message is sealed to the case's holders AND the mailbox key, so the reporter sees their
    own side of the thread. Its files are sealed to the holders only: the message lists their
    names and sizes, which is all the reporter needs to see what they sent.
    """
    payload = payloads.encode(payloads.MESSAGE_FORMAT, {
        "sent_at": payloads.utc_timestamp(sent_at),
        "text": text,
        "attachments": [{"filename": f.filename, "size": f.size} for f in files],
    })
    env = seal(db, "message", payload, [*holder_keys, mailbox_public], today)
    message = Message(submission_id=submission.id, direction="from_reporter",
                      envelope_id=env.id, created_on=today)
    db.add(message)
    db.flush()
    _attach(db, submission.id, files, message.id)
    return message
