"""Search the text of the cases a key holds, decrypting on demand (issue 15).

What is searched: the report, every follow-up (the reporter's messages and the replies) and
every internal note of each case whose report the key holds. Nothing is indexed: each search
reads the envelopes the key has a grant on, opens them in memory, folds the text
(rules.folding: case, ё/е, Kazakh letters as typed on a Russian keyboard) and keeps only the
excerpts of the page asked for. No plaintext is written anywhere: not to the database, not to a
file, not to a log; the audit entry says that a search happened and how many results it had,
never the words.

Speed: one query brings every grant of the key with its envelope body, in display order, and
the rows are opened with libsodium directly (no ORM object per row), in batches shared by two
threads. Each text is matched by a regular expression built once from the folded query
(rules.folding.pattern) instead of folding every text. Opening a data key (an X25519 operation)
is the main cost; the bench (bench/search.py) measures 1,000 and 10,000 held reports.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from cases import scope
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
WORKERS = 2  # the 2 cores of the reference machine (issue 15)
BATCH = 256  # rows per task: big enough to amortise a hand-over, small enough to keep order


@dataclass(frozen=True)
class Hit:
    submission_id: str
    received_on: date
    kind: str  # one of KINDS
    before: str
    match: str
    after: str
    order: tuple[int, int] = (0, 0)  # (report 0 / message 1 / note 2, row id) within the case

    def sort_key(self) -> tuple[int, str, tuple[int, int]]:
        """Newest case first, then by case, each case's texts in their order."""
        return (-self.received_on.toordinal(), self.submission_id, self.order)


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


def _rows(session: Session, key_id: str, org_id: int | None) -> Iterator[Any]:
    """(submission id, received on, part, row id, kind, envelope id, expected purpose, body,
    sealed key) of every text of the cases the key holds in the organization, in no particular
    order."""
    # The operator (no organization) holds nothing; -1 matches no row.
    mine = scope.in_org(Submission.org_id, org_id if org_id is not None else -1)
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
        .where(mine)
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
        .where(mine)
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
        .where(mine)
    )
    # No ORDER BY: sorting every body in the database costs more than sorting the few hits
    # afterwards (`search` does), and the rows can stream straight from the indexes.
    statement = union_all(reports, messages, notes)
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


def _open(row: Any, private_key: PrivateKey) -> bytes | None:
    """The body of one row, or None if it does not open (damaged, or not what it claims)."""
    expect = "report" if row.kind == "report" else "note" if row.kind == "note" else "message"
    if row.purpose != expect or row.body is None:
        return None  # a row referenced as something it is not opens nothing (store.sealing)
    try:
        data_key = env.open_sealed_key(row.sealed_key, private_key)
        return env.open_body(bytes(row.body), data_key, sealing.aad(expect, row.eid))
    except CryptoError:
        return None


def _scan(
    batch: list[Any], finder: re.Pattern[str], private_key: PrivateKey
) -> tuple[int, list[Hit]]:
    """(texts opened, a hit with its excerpt for each match) of one batch of rows; the texts
    themselves go out of scope here."""
    opened = 0
    found: list[Hit] = []
    for row in batch:
        body = _open(row, private_key)
        if body is None:
            continue
        opened += 1
        text = folding.prepare(_text(row.kind, body))
        match = finder.search(text)
        if match is not None:
            before, matched, after = folding.excerpt(text, *match.span())
            found.append(
                Hit(
                    row.sid,
                    row.received_on,
                    row.kind,
                    before,
                    matched,
                    after,
                    (row.part, row.row_id),
                )
            )
    return opened, found


def _batches(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def search(
    session: Session,
    private_key: PrivateKey,
    query: str,
    actor: User,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """The page `page` of the texts matching `query` in the cases the key holds, audited as
    ``case.search`` with the number of results (never the query).

    The rows are opened in batches by WORKERS threads: libsodium releases the GIL while it
    opens a data key, so the cores share the work. At most 2 x WORKERS batches are in flight,
    so memory stays flat however many cases are held; what is kept of a match is its excerpt,
    and the hits are sorted into display order at the end.
    """
    query = check_query(query)
    finder = folding.pattern(query)
    page = max(1, page)
    first, last = (page - 1) * per_page, page * per_page
    searched = 0
    hits: list[Hit] = []

    def take(result: tuple[int, list[Hit]]) -> None:
        nonlocal searched
        opened, found = result
        searched += opened
        hits.extend(found)  # excerpts only: each text went out of scope in its worker

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="adal-search") as pool:
        in_flight: deque[Future[tuple[int, list[Hit]]]] = deque()
        for batch in _batches(_rows(session, key_id_of(private_key), actor.org_id)):
            in_flight.append(pool.submit(_scan, batch, finder, private_key))
            if len(in_flight) >= 2 * WORKERS:
                take(in_flight.popleft().result())
        while in_flight:
            take(in_flight.popleft().result())
    total = len(hits)
    hits.sort(key=Hit.sort_key)
    audit.append(
        session,
        "case.search",
        actor=actor.username,
        org_id=actor.org_id,
        details={"results": total},
    )
    pages = max(1, -(-total // per_page))
    return Results(hits[first:last], total, page, pages, searched)
