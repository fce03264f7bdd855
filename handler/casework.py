"""Opening and answering a case, without Flask: decrypt, register, read the thread, reply.

Nothing here decides who may act; the views check the role, and the cryptography decides the
rest: a key without a grant on the report simply cannot open it (`NotHolder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.facts import facts_from_report, parse_received_at
from cases.workflow import register_case
from crypto import keys as ckeys
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from rules.clock import local_date
from store import payloads, sealing
from store.models import Attachment, Case, Message, Submission, User
from store.recipients import holders
from store.sealing import iter_file

ID_LENGTH = 32


class NotHolder(Exception):
    """No such case, or this key holds no grant on it: the caller answers 404 either way."""


@dataclass(frozen=True)
class FileView:
    id: str
    filename: str | None  # None: this key cannot open the file
    content_type: str


@dataclass(frozen=True)
class MessageView:
    id: int
    direction: str
    created_on: date
    text: str | None  # None: this key cannot open the message
    sent_at: datetime | None
    files: list[FileView]


def is_id(value: str) -> bool:
    """Our row ids are 32 lowercase hex characters; anything else never reaches a query."""
    return len(value) == ID_LENGTH and all(c in "0123456789abcdef" for c in value)


def find_submission(db: Session, submission_id: str) -> Submission | None:
    return db.get(Submission, submission_id) if is_id(submission_id) else None


def key_id_of(private_key: PrivateKey) -> str:
    return ckeys.key_id(private_key.public_key)


def holder_submission(db: Session, submission_id: str, private_key: PrivateKey) -> Submission:
    submission = find_submission(db, submission_id)
    # A "report" that is another case's message or file (a forged row) is no case either.
    if (submission is None or submission.report_envelope.purpose != "report"
            or not sealing.holds(submission.report_envelope, key_id_of(private_key))):
        raise NotHolder(submission_id)
    return submission


def open_report(submission: Submission, private_key: PrivateKey) -> dict[str, Any]:
    try:
        body = sealing.open_body(submission.report_envelope, private_key, expect="report")
    except CryptoError as exc:
        raise NotHolder(submission.id) from exc
    try:
        return payloads.decode(body, payloads.REPORT_FORMAT)
    except payloads.PayloadError:
        # Not our format, yet it opened: show it as text rather than refuse it (p6).
        return {"text": body.decode("utf-8", errors="replace")}


def open_identity(submission: Submission, private_key: PrivateKey) -> dict[str, Any] | None:
    """The identity block, if there is one and this key holds it (heads and recovery only)."""
    envelope = submission.identity_envelope
    if envelope is None or not sealing.holds(envelope, key_id_of(private_key)):
        return None
    body = sealing.open_body(envelope, private_key, expect="identity")
    return payloads.decode(body, payloads.IDENTITY_FORMAT)


def register(db: Session, submission: Submission, report: dict[str, Any], actor: User,
             now: datetime) -> tuple[Case, bool]:
    """The submission's case, registered by `actor` on first opening (p6: never refused)."""
    return register_case(db, submission, facts_from_report(report, submission), actor, at=now)


def _file_view(db: Session, attachment: Attachment, private_key: PrivateKey) -> FileView:
    envelope = attachment.envelope
    if not sealing.holds(envelope, key_id_of(private_key)):
        return FileView(attachment.id, None, "")
    stream = iter_file(db, envelope, private_key)
    try:
        meta, _body = payloads.split_file(stream)
    except (CryptoError, payloads.PayloadError):
        return FileView(attachment.id, None, "")
    finally:
        stream.close()  # only the first chunk was needed
    return FileView(attachment.id, payloads.clean_filename(meta.filename), meta.content_type)


def report_files(db: Session, submission: Submission, private_key: PrivateKey) -> list[FileView]:
    rows = db.scalars(select(Attachment).where(Attachment.submission_id == submission.id,
                                               Attachment.message_id.is_(None))
                      .order_by(Attachment.id))
    return [_file_view(db, a, private_key) for a in rows]


def thread(db: Session, submission: Submission, private_key: PrivateKey) -> list[MessageView]:
    messages = list(db.scalars(select(Message).where(Message.submission_id == submission.id)
                               .order_by(Message.id)))
    files: dict[int, list[FileView]] = {}
    if messages:
        for attachment in db.scalars(
            select(Attachment).where(Attachment.submission_id == submission.id,
                                     Attachment.message_id.is_not(None))
            .order_by(Attachment.id)
        ):
            assert attachment.message_id is not None
            files.setdefault(attachment.message_id, []).append(
                _file_view(db, attachment, private_key))
    views = []
    for message in messages:
        text: str | None = None
        sent_at = None
        try:
            body = sealing.open_body(message.envelope, private_key, expect="message")
        except CryptoError:
            pass  # sealed before this key held the case: shown as "no key"
        else:
            try:
                payload = payloads.decode(body, payloads.MESSAGE_FORMAT)
                text = str(payload.get("text", ""))
                sent_at = parse_received_at(payload.get("sent_at"))
            except payloads.PayloadError:
                text = payloads.message_text(body)
        views.append(MessageView(message.id, message.direction, message.created_on, text,
                                 sent_at, files.get(message.id, [])))
    return views


def reply(db: Session, submission: Submission, text: str, now: datetime) -> Message:
    """A message to the reporter: sealed to the mailbox key and to the case's holders.

    Only the message row is written in plain (its date); the case and the mailbox status do
    not change, so the database does not show that a reply happened beyond that row.
    """
    mailbox = submission.mailbox
    if mailbox is None:
        raise ValueError("this report has no mailbox to reply to")
    recipients = [mailbox.public_key, *holders(db, submission.report_envelope)]
    payload = payloads.encode(payloads.MESSAGE_FORMAT, {
        "sent_at": payloads.utc_timestamp(now), "text": text, "attachments": [],
    })
    today = local_date(now)
    envelope = sealing.seal(db, "message", payload, recipients, today)
    message = Message(submission_id=submission.id, direction="to_reporter",
                      envelope_id=envelope.id, created_on=today)
    db.add(message)
    db.flush()
    return message


def attachment_of(db: Session, submission: Submission, attachment_id: str) -> Attachment | None:
    attachment = db.get(Attachment, attachment_id) if is_id(attachment_id) else None
    if attachment is None or attachment.submission_id != submission.id:
        return None
    return attachment
