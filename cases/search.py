"""Search the text of the cases a key holds, decrypting on demand (issue 15).

What is searched: the report, every follow-up (the reporter's messages and the replies) and
every internal note of each case whose report the key holds. Nothing is indexed: each search
reads the envelopes the key has a grant on, opens them in memory, folds the text
(rules.folding: case, ё/е, Kazakh letters as typed on a Russian keyboard) and keeps only the
excerpts of the page asked for. No plaintext is written anywhere: not to the database, not to a
file, not to a log; the audit entry says that a search happened and how many results it had,
never the words.

Speed: one query brings every grant of the key with its envelope body, in display order, and
the rows are opened with libsodium directly (no ORM object per row). Opening a data key is the
cost (an X25519 operation each); the bench (bench/search.py) measures 10,000 held reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
from sqlalchemy import and_, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from cases.access import key_id_of
from crypto import envelope as env
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from rules import folding
from rules.errors import AdalError
from store import audit, payloads, sealing
from store.models import Envelope, Grant, Message, Note, Submission, User

AREA = "search"  # of the AdalError codes raised here
MIN_QUERY = 2  # folded characters; one letter would match nearly every case
MAX_QUERY = 200
PER_PAGE = 20
# Report fields that are not text anyone wrote: searching them would only match dates and codes.
_NOT_TEXT = frozenset({"format", "received_at", "registered_by", "language", "channel"})
KINDS = ("report", "from_reporter", "to_reporter", "note")


@dataclass(frozen=True)
class Hit:
    submission_id: str
    received_on: date
    kind: str  # one of KINDS
    before: str
    match: str
    after: str


@dataclass(frozen=True)
class Results:
    hits: list[Hit]  # the page asked for
    total: int  # matching texts in all the cases held
    page: int
    pages: int
    searched: int  # texts opened


def check_query(query: str) -> str:
    """The query stripped; refused ``too_short`` or ``too_long``."""
    query = query.strip()
    if len(query) > MAX_QUERY:
        raise AdalError(AREA, "too_long", "the search text is too long")
    if len(folding.fold(query).replace(" ", "")) < MIN_QUERY:
        raise AdalError(AREA, "too_short", "the search text is too short")
    return query


def _rows(session: Session, key_id: str) -> Iterator[Any]:
    """(submission id, received on, kind, envelope id, expected purpose, body, sealed key) of
    every text the key holds, newest case first, each case's texts in their order."""
    report_grant = aliased(Grant)
    own = aliased(Grant)
    reports = (
        select(
            Submission.id.label("sid"),
            Submission.received_on.label("received_on"),
            literal(0).label("part"),
            literal(0).label("row_id"),
            literal("report").label("kind"),
            Envelope.id.label("eid"),
            Envelope.purpose.label("purpose"),
            Envelope.body.label("body"),
            own.sealed_key.label("sealed_key"),
        )
        .join(Envelope, Envelope.id == Submission.report_envelope_id)
        .join(own, and_(own.envelope_id == Envelope.id, own.key_id == key_id))
    )
    messages = (
        select(
            Submission.id,
            Submission.received_on,
            literal(1),
            Message.id,
            Message.direction,
            Envelope.id,
            Envelope.purpose,
            Envelope.body,
            own.sealed_key,
        )
        .select_from(Message)
        .join(Submission, Submission.id == Message.submission_id)
        .join(
            report_grant,
            and_(
                report_grant.envelope_id == Submission.report_envelope_id,
                report_grant.key_id == key_id,
            ),
        )
        .join(Envelope, Envelope.id == Message.envelope_id)
        .join(own, and_(own.envelope_id == Envelope.id, own.key_id == key_id))
    )
    notes = (
        select(
            Submission.id,
            Submission.received_on,
            literal(2),
            Note.id,
            literal("note"),
            Envelope.id,
            Envelope.purpose,
            Envelope.body,
            own.sealed_key,
        )
        .select_from(Note)
        .join(Submission, Submission.id == Note.submission_id)
        .join(
            report_grant,
            and_(
                report_grant.envelope_id == Submission.report_envelope_id,
                report_grant.key_id == key_id,
            ),
        )
        .join(Envelope, Envelope.id == Note.envelope_id)
        .join(own, and_(own.envelope_id == Envelope.id, own.key_id == key_id))
    )
    everything = union_all(reports, messages, notes).subquery()
    statement = select(everything).order_by(
        everything.c.received_on.desc(),
        everything.c.sid,
        everything.c.part,
        everything.c.row_id,
    )
    yield from session.execute(statement.execution_options(yield_per=1000))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_TEXT:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _text(kind: str, body: bytes) -> str:
    """The searchable text of an opened body: every field a person wrote."""
    if kind == "report":
        try:
            return "\n".join(_strings(payloads.decode(body, payloads.REPORT_FORMAT)))
        except payloads.PayloadError:
            return body.decode("utf-8", errors="replace")
    if kind == "note":
        try:
            return str(payloads.decode(body, payloads.NOTE_FORMAT).get("text", ""))
        except payloads.PayloadError:
            return body.decode("utf-8", errors="replace")
    return payloads.message_text(body)


def _open(row: Any, public: bytes, secret: bytes) -> bytes | None:
    """The body of one row, or None if it does not open (damaged, or not what it claims)."""
    expect = "report" if row.kind == "report" else "note" if row.kind == "note" else "message"
    if row.purpose != expect or row.body is None:
        return None  # a row referenced as something it is not opens nothing (store.sealing)
    try:
        data_key = sodium.crypto_box_seal_open(bytes(row.sealed_key), public, secret)
        if len(data_key) != env.DATA_KEY_SIZE:
            return None
        return env.open_body(bytes(row.body), env.DataKey(data_key), sealing.aad(expect, row.eid))
    except (nacl.exceptions.CryptoError, CryptoError):
        return None


def search(
    session: Session,
    private_key: PrivateKey,
    query: str,
    actor: User,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """The page `page` of the texts matching `query` in the cases the key holds, audited as
    ``case.search`` with the number of results (never the query)."""
    query = check_query(query)
    needle = folding.fold(query).strip()
    page = max(1, page)
    first, last = (page - 1) * per_page, page * per_page
    public, secret = bytes(private_key.public_key), bytes(private_key)
    total = searched = 0
    page_texts: list[tuple[Any, str]] = []
    for row in _rows(session, key_id_of(private_key)):
        body = _open(row, public, secret)
        if body is None:
            continue
        searched += 1
        text = _text(row.kind, body)
        if needle in folding.fold(text):
            if first <= total < last:
                page_texts.append((row, text))  # only the page's texts outlive this loop
            total += 1
    hits = [
        Hit(row.sid, row.received_on, row.kind, *folding.excerpt(text, query))
        for row, text in page_texts
    ]
    audit.append(
        session,
        "case.search",
        actor=actor.username,
        details={"results": total},
    )
    pages = max(1, -(-total // per_page))
    return Results(hits, total, page, pages, searched)
