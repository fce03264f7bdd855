"""Reading a case with a holder's key: the report, the identity block, the list of files.

Nothing here decides who may read; a key without a grant simply cannot open an envelope. Callers
prove holding first (cases.access), so a report that still does not open is answered like a
case that is not held (`NotHolder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.access import NotHolder, key_id_of
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from store import payloads, sealing
from store.models import Attachment, Submission
from store.sealing import iter_file


@dataclass(frozen=True)
class FileView:
    id: str
    filename: str | None  # None: this key cannot open the file
    content_type: str


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


def file_view(session: Session, attachment: Attachment, private_key: PrivateKey) -> FileView:
    envelope = attachment.envelope
    if not sealing.holds(envelope, key_id_of(private_key)):
        return FileView(attachment.id, None, "")
    stream = iter_file(session, envelope, private_key)
    try:
        meta, _body = payloads.split_file(stream)
    except (CryptoError, payloads.PayloadError):
        return FileView(attachment.id, None, "")
    finally:
        stream.close()  # only the first chunk was needed
    return FileView(attachment.id, payloads.clean_filename(meta.filename), meta.content_type)


def report_files(
    session: Session, submission: Submission, private_key: PrivateKey
) -> list[FileView]:
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.submission_id == submission.id, Attachment.message_id.is_(None))
        .order_by(Attachment.id)
    )
    return [file_view(session, a, private_key) for a in rows]
