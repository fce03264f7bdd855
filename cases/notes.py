"""Internal notes: what holders write on a case for each other, never for the reporter.

A note is sealed like a message (store.sealing), but only to the keys that hold the case's
report now (store.recipients.holders: the active staff holders and the recovery key), never to
the mailbox key: the portal can neither find nor open it. Because its envelope is one of the
case's envelopes (cases.sharing.case_envelopes), it follows the case when the case is shared,
recovered or handed over, and it is shredded with the case (cases.purge).

The row keeps the day and the author in plain, as a workflow event does; the time of writing and
the text are sealed. The audit entry names the note, never its words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.access import NotHolder, holder_submission
from cases.facts import parse_received_at
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from rules.clock import local_date
from rules.errors import AdalError
from store import audit, payloads, sealing
from store.models import Note, Submission, User
from store.recipients import holders

AREA = "notes"  # of the AdalError codes raised here
MAX_TEXT = 20_000


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str | None  # the author's full name; None once the account is gone
    created_on: date
    written_at: datetime | None
    text: str | None  # None: this key cannot open the note (it came to the case later)


def _held(
    session: Session, submission_id: str, private_key: PrivateKey, org_id: int | None
) -> Submission:
    try:
        return holder_submission(session, submission_id, private_key, org_id)
    except NotHolder as exc:
        raise AdalError(AREA, "not_holder", "this key does not hold the case") from exc


def add_note(
    session: Session,
    submission_id: str,
    private_key: PrivateKey,
    author: User,
    text: str,
    now: datetime,
) -> Note:
    """Seal a note to the case's current holders and audit it (without its text).

    Refused (AdalError, area ``notes``): ``not_holder`` when the key does not hold the case,
    ``empty`` for a blank note, ``too_long`` beyond MAX_TEXT characters.
    """
    submission = _held(session, submission_id, private_key, author.org_id)
    text = text.strip()
    if not text:
        raise AdalError(AREA, "empty", "a note needs some text")
    if len(text) > MAX_TEXT:
        raise AdalError(AREA, "too_long", "the note is too long")
    today = local_date(now)
    payload = payloads.encode(
        payloads.NOTE_FORMAT, {"written_at": payloads.utc_timestamp(now), "text": text}
    )
    # The holders of the report, never the mailbox: a note is for the staff only.
    envelope = sealing.seal(
        session, "note", payload, holders(session, submission.report_envelope), today
    )
    note = Note(
        submission_id=submission.id, envelope_id=envelope.id, author_id=author.id, created_on=today
    )
    session.add(note)
    session.flush()
    audit.append(
        session,
        "note.add",
        actor=author.username,
        org_id=author.org_id,
        target=submission.id,
        details={"note": note.id},
    )
    return note


def note_text(body: bytes) -> tuple[str, datetime | None]:
    """(text, time written) of an opened note body."""
    try:
        payload = payloads.decode(body, payloads.NOTE_FORMAT)
    except payloads.PayloadError:
        return body.decode("utf-8", errors="replace"), None
    return str(payload.get("text", "")), parse_received_at(payload.get("written_at"))


def case_notes(session: Session, submission: Submission, private_key: PrivateKey) -> list[NoteView]:
    """The case's notes in the order written, as this key reads them."""
    rows = session.execute(
        select(Note, User.full_name)
        .outerjoin(User, User.id == Note.author_id)
        .where(Note.submission_id == submission.id)
        .order_by(Note.id)
    ).all()
    views = []
    for note, author in rows:
        text: str | None = None
        written_at = None
        try:
            body = sealing.open_body(note.envelope, private_key, expect="note")
        except CryptoError:
            pass  # written before this key held the case and never re-sealed to it
        else:
            text, written_at = note_text(body)
        views.append(NoteView(note.id, author, note.created_on, written_at, text))
    return views
