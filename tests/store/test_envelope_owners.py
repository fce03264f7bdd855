"""An envelope belongs to one row: a second submission, message or attachment naming it is
refused by the database, and migration 0003 adds that rule without losing or choosing rows."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, session_factory, transaction
from store.migrate import current_revision, upgrade
from store.models import Attachment, Envelope, Mailbox, Message, Submission, new_id

TODAY = date(2026, 11, 26)


@dataclass
class Case:
    submission: str
    report: str
    identity: str
    message: str
    file: str


@pytest.fixture
def engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "instance").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _envelope(s: Session, purpose: str) -> str:
    row = Envelope(id=new_id(), purpose=purpose, body=b"sealed", created_on=TODAY)
    s.add(row)
    return row.id


def _mailbox(s: Session) -> Mailbox:
    box = Mailbox(lookup_tag=secrets.token_bytes(32), public_key=b"k" * 32, created_on=TODAY)
    s.add(box)
    return box


def _submission(s: Session, **values: object) -> str:
    """A submissions row with the columns of migration 0002 only (Core, not the model): these
    tests also run on a database migrated no further, before `org_id` (0010) and `listed`
    (0011) existed."""
    box = _mailbox(s)
    s.flush()
    sid = new_id()
    s.execute(
        insert(Submission.__table__).values(
            id=sid, channel="portal", received_on=TODAY, mailbox_id=box.id, **values
        )
    )
    return sid


def _portal_case(factory: sessionmaker[Session]) -> Case:
    """A portal report with an identity block, a follow-up message and a file."""
    with transaction(factory) as s:
        report, identity = _envelope(s, "report"), _envelope(s, "identity")
        message_env, file_env = _envelope(s, "message"), _envelope(s, "file")
        submission = _submission(s, report_envelope_id=report, identity_envelope_id=identity)
        message = Message(
            submission_id=submission,
            direction="from_reporter",
            envelope_id=message_env,
            created_on=TODAY,
        )
        s.add(message)
        s.flush()
        s.add(Attachment(submission_id=submission, message_id=message.id, envelope_id=file_env))
        return Case(submission, report, identity, message_env, file_env)


def _counts(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with factory() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model))  # type: ignore[return-value]
            for model in (Submission, Message, Attachment)
        )


# Each forgery reuses one envelope of the victim's case in a row of the attacker's own case.
FORGERIES: dict[str, Callable[[Session, Case, Case], None]] = {
    "report": lambda s, victim, own: _submission(s, report_envelope_id=victim.report),
    "identity": lambda s, victim, own: s.add(
        Submission(
            channel="portal",
            received_on=TODAY,
            report_envelope_id=_envelope(s, "report"),
            identity_envelope_id=victim.identity,
            mailbox=_mailbox(s),
        )
    ),
    "message": lambda s, victim, own: s.add(
        Message(
            submission_id=own.submission,
            direction="from_reporter",
            envelope_id=victim.message,
            created_on=TODAY,
        )
    ),
    "file": lambda s, victim, own: s.add(
        Attachment(submission_id=own.submission, envelope_id=victim.file)
    ),
}


@pytest.mark.parametrize("reused", list(FORGERIES))
def test_a_second_row_cannot_reuse_an_envelope(engine: Engine, reused: str) -> None:
    upgrade(engine)
    factory = session_factory(engine)
    victim, own = _portal_case(factory), _portal_case(factory)
    before = _counts(factory)
    with factory() as s, pytest.raises(IntegrityError):
        FORGERIES[reused](s, victim, own)
        s.flush()
    assert _counts(factory) == before


def test_many_submissions_may_have_no_identity_block(engine: Engine) -> None:
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        for _ in range(3):
            s.add(
                Submission(
                    channel="in_person",
                    received_on=TODAY,
                    report_envelope_id=_envelope(s, "report"),
                )
            )
    assert _counts(factory)[0] == 3


def test_migration_keeps_every_row(engine: Engine) -> None:
    """0003 must not rebuild tables: on SQLite with foreign keys on, dropping `submissions`
    to rebuild it would cascade into messages and attachments."""
    upgrade(engine, "0002")
    factory = session_factory(engine)
    _portal_case(factory)
    _portal_case(factory)
    upgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    assert _counts(factory) == (2, 2, 2)


def test_migration_refuses_shared_envelopes_and_deletes_nothing(engine: Engine) -> None:
    upgrade(engine, "0002")
    factory = session_factory(engine)
    victim, own = _portal_case(factory), _portal_case(factory)
    with transaction(factory) as s:
        FORGERIES["report"](s, victim, own)
        FORGERIES["file"](s, victim, own)
    with pytest.raises(RuntimeError, match="referenced by more than one row") as refused:
        upgrade(engine)
    message = str(refused.value)
    assert f"submissions.report_envelope_id = {victim.report} (2 rows)" in message
    assert f"attachments.envelope_id = {victim.file} (2 rows)" in message
    assert "messages.envelope_id" not in message
    assert "Nothing was changed" in message
    assert current_revision(engine) == "0002"
    assert _counts(factory) == (3, 2, 3)
