"""The mailbox thread between the reporter and the case's holders: one writer, one reader.

Every message, whichever way it goes, is sealed to the case's holders AND the mailbox key, so
both sides read the whole conversation. A reporter's files are sealed to the holders only: the
message lists their names and sizes, which is all the reporter needs to see what they sent.

Only the message row is written in plain (its date and direction); neither the case nor the
mailbox status changes, so the database shows nothing of the conversation beyond those rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.attachments import StoredFile, attach_stored
from cases.facts import parse_received_at
from cases.reading import FileView, file_view
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from rules.clock import local_date
from store import payloads, sealing
from store.models import Attachment, Message, Submission
from store.recipients import holders

Direction = Literal["from_reporter", "to_reporter"]


@dataclass(frozen=True)
class MessageView:
    id: int
    direction: str
    created_on: date
    text: str | None  # None: this key cannot open the message
    sent_at: datetime | None
    files: list[FileView]


def write_message(
    session: Session,
    submission: Submission,
    *,
    direction: Direction,
    text: str,
    holder_keys: Sequence[bytes],
    sent_at: datetime,
    today: date,
    files: Sequence[StoredFile] = (),
) -> Message:
    """Seal a message (and link its streamed files) in the caller's transaction.

    `holder_keys` are passed, not read here, because the portal sealed the files to the holders
    it read before the body arrived: the message goes to the same keys as its files.
    """
    mailbox = submission.mailbox
    if mailbox is None:
        raise ValueError("this report has no mailbox to write to")
    payload = payloads.encode(
        payloads.MESSAGE_FORMAT,
        {
            "sent_at": payloads.utc_timestamp(sent_at),
            "text": text,
            "attachments": [{"filename": f.filename, "size": f.size} for f in files],
        },
    )
    envelope = sealing.seal(session, "message", payload, [*holder_keys, mailbox.public_key], today)
    message = Message(
        submission_id=submission.id, direction=direction, envelope_id=envelope.id, created_on=today
    )
    session.add(message)
    session.flush()
    attach_stored(session, submission.id, files, message.id)
    return message


def reply(session: Session, submission: Submission, text: str, now: datetime) -> Message:
    """A handler's message to the reporter, sealed to the case's current holders."""
    return write_message(
        session,
        submission,
        direction="to_reporter",
        text=text,
        holder_keys=holders(session, submission.report_envelope),
        sent_at=now,
        today=local_date(now),
    )


def thread(session: Session, submission: Submission, private_key: PrivateKey) -> list[MessageView]:
    """The whole thread as a holder's key reads it, files listed under their message."""
    messages = list(
        session.scalars(
            select(Message).where(Message.submission_id == submission.id).order_by(Message.id)
        )
    )
    files: dict[int, list[FileView]] = {}
    if messages:
        for attachment in session.scalars(
            select(Attachment)
            .where(Attachment.submission_id == submission.id, Attachment.message_id.is_not(None))
            .order_by(Attachment.id)
        ):
            assert attachment.message_id is not None
            files.setdefault(attachment.message_id, []).append(
                file_view(session, attachment, private_key)
            )
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
        views.append(
            MessageView(
                message.id,
                message.direction,
                message.created_on,
                text,
                sent_at,
                files.get(message.id, []),
            )
        )
    return views
