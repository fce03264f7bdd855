"""`adal db grant-portal`: the portal's PostgreSQL role can do its job and nothing more.

Runs in the PostgreSQL pass of scripts/test.sh (ADAL_TEST_POSTGRES_URL); the SQLite pass only
checks the clear refusal.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import psycopg.errors
import pytest
from nacl.public import PrivateKey
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from cases import directory
from installation.roles import DENIED_TABLES
from store import recipients, sealing
from store.db import make_engine, session_factory, transaction
from store.models import (
    Attachment,
    Envelope,
    FileChunk,
    Mailbox,
    Message,
    RecipientKey,
    Submission,
    User,
    WebSession,
)
from tests.support.instance import DemoInstance, demo_org_id, run_cli
from tests.support.needs import POSTGRES_URL
from tests.support.org_tree import INACTIVE, make_tree
from tests.support.pgroles import role_url

TODAY = date(2026, 11, 25)
OLD = TODAY - timedelta(days=3)
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="ADAL_TEST_POSTGRES_URL is unset")


@pytest.fixture
def as_portal(portal_role: str, demo: DemoInstance) -> Iterator[sessionmaker[Session]]:
    code, output = run_cli("db", "grant-portal", portal_role)
    assert code == 0, output
    assert "nothing on users" in output
    engine = make_engine(role_url(demo.instance.database_url, portal_role))
    yield session_factory(engine)
    engine.dispose()


def _denied(factory: sessionmaker[Session], statement: str) -> None:
    with factory() as s, pytest.raises(DBAPIError) as caught:
        s.execute(text(statement))
    assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege), caught.value


def _submit(
    factory: sessionmaker[Session], file_data: bytes, mailbox_key: PrivateKey
) -> tuple[str, str, str]:
    """A report with a file and a follow-up with a file, written the way the portal writes it:
    files stream in committed batches first, the rest in one final transaction."""
    with factory() as s:
        keys = recipients.report_recipients(s, demo_org_id(s))
        identity_keys = recipients.identity_recipients(s, demo_org_id(s))
    files: list[tuple[str, int]] = []
    for _ in range(2):
        with factory() as s:
            writer = sealing.FileWriter(s, keys, TODAY, batch=2, commit_batches=True)
            for start in range(0, len(file_data), 50_000):
                writer.write(file_data[start : start + 50_000])
            files.append((writer.envelope_id, writer.close_stream()))
    with transaction(factory) as s:
        report = sealing.seal(s, "report", b'{"facts": "tender"}', keys, TODAY)
        identity = sealing.seal(s, "identity", b'{"full_name": "X"}', identity_keys, TODAY)
        mailbox = Mailbox(
            lookup_tag=secrets.token_bytes(32),
            public_key=bytes(mailbox_key.public_key),
            created_on=TODAY,
        )
        submission = Submission(
            channel="portal",
            org_id=demo_org_id(s),  # the portal files reports with an active organization
            received_on=TODAY,
            report_envelope_id=report.id,
            identity_envelope_id=identity.id,
            mailbox=mailbox,
        )
        s.add_all([mailbox, submission])
        s.flush()
        sealing.mark_complete(s, files[0][0], files[0][1])
        s.add(Attachment(submission_id=submission.id, envelope_id=files[0][0]))
        holders = recipients.holders(s, report.id)
        body = sealing.seal(
            s, "message", b"more evidence", [*holders, bytes(mailbox_key.public_key)], TODAY
        )
        message = Message(
            submission_id=submission.id,
            direction="from_reporter",
            envelope_id=body.id,
            created_on=TODAY,
        )
        s.add(message)
        s.flush()
        sealing.mark_complete(s, files[1][0], files[1][1])
        s.add(
            Attachment(submission_id=submission.id, message_id=message.id, envelope_id=files[1][0])
        )
        return submission.id, report.id, files[0][0]


@needs_postgres
def test_portal_role_writes_and_reads_what_the_portal_needs(
    as_portal: sessionmaker[Session], demo: DemoInstance
) -> None:
    mailbox_key = PrivateKey.generate()
    file_data = secrets.token_bytes(300_000)
    submission_id, report_id, file_id = _submit(as_portal, file_data, mailbox_key)

    # An upload that was refused: the portal shreds its incomplete envelope itself.
    with as_portal() as s:
        writer = sealing.FileWriter(
            s, recipients.report_recipients(s, demo_org_id(s)), TODAY, commit_batches=True
        )
        writer.write(b"abandoned")
        orphan = writer.envelope_id
    with transaction(as_portal) as s:
        sealing.shred(s, orphan)

    # The mailbox page, as the portal reads it.
    with as_portal() as s:
        submission = s.execute(
            select(Submission).where(Submission.id == submission_id)
        ).scalar_one()
        mailbox = s.get(Mailbox, submission.mailbox_id)
        assert mailbox is not None and mailbox.status == "received"
        messages = (
            s.execute(select(Message).where(Message.submission_id == submission_id)).scalars().all()
        )
        assert [sealing.open_body(m.envelope, mailbox_key, expect="message") for m in messages] == [
            b"more evidence"
        ]
        assert (
            s.execute(
                select(func.count())
                .select_from(Attachment)
                .where(Attachment.submission_id == submission_id)
            ).scalar_one()
            == 2
        )
        stored = b"".join(
            s.execute(
                select(FileChunk.data)
                .where(FileChunk.envelope_id == file_id)
                .order_by(FileChunk.seq)
            ).scalars()
        )
        assert len(stored) > len(file_data)
        assert recipients.holders(s, report_id)

    # The staff side (as the owner) opens the file the portal role wrote, byte for byte.
    key = demo.staff_key("handler")
    with demo.sessions() as s:
        assert s.get(Envelope, orphan) is None
        envelope = s.get(Envelope, file_id)
        assert b"".join(sealing.iter_file(s, envelope, key)) == file_data

    # Its own sessions: create, update, read, delete.
    with transaction(as_portal) as s:
        s.add(WebSession(id_hash=b"p" * 32, app="portal", data=b"x", expires_on=TODAY))
    with transaction(as_portal) as s:
        row = s.get(WebSession, b"p" * 32)
        assert row is not None
        row.data = b"y"
    with transaction(as_portal) as s:
        s.delete(s.get(WebSession, b"p" * 32))


FORBIDDEN = [
    "SELECT user_id FROM recipient_keys",
    "INSERT INTO recipient_keys (key_id, public_key, purpose, active) "
    "VALUES ('k', '\\x00', 'handler', true)",
    "UPDATE recipient_keys SET active = false",
    "UPDATE mailboxes SET status = 'closed'",
    "UPDATE submissions SET channel = 'x'",
    "DELETE FROM submissions",
    "DELETE FROM messages",
    "DELETE FROM mailboxes",
    "UPDATE file_chunks SET data = '\\x00'",
    "UPDATE envelopes SET body = NULL",
    "UPDATE grants SET sealed_key = '\\x00'",
    "INSERT INTO settings (key, value) VALUES ('x', '{}')",
    "INSERT INTO audit_log (at, action, details, prev_hash, entry_hash) "
    "VALUES (now(), 'x', '{}', 'a', 'b')",
    "CREATE TABLE portal_was_here (id int)",
]


@needs_postgres
def test_portal_role_cannot_read_staff_tables(as_portal: sessionmaker[Session]) -> None:
    for table in DENIED_TABLES:
        _denied(as_portal, f"SELECT * FROM {table}")


@needs_postgres
def test_portal_role_cannot_change_what_it_does_not_own(as_portal: sessionmaker[Session]) -> None:
    for statement in FORBIDDEN:
        _denied(as_portal, statement)


def _owner_rows(demo: DemoInstance) -> tuple[str, str, bytes]:
    """As the owner: a complete report, an in-person submission, a back-office session."""
    with transaction(demo.sessions) as s:
        keys = recipients.report_recipients(s, demo_org_id(s))
        report = sealing.seal(s, "report", b"in person", keys, TODAY)
        in_person = Submission(channel="in_person", received_on=TODAY, report_envelope_id=report.id)
        s.add(in_person)
        s.add(WebSession(id_hash=b"h" * 32, app="handler", data=b"x", expires_on=TODAY))
        s.flush()
        return report.id, in_person.id, b"h" * 32


@needs_postgres
def test_row_policies_bound_a_hijacked_portal(
    as_portal: sessionmaker[Session], demo: DemoInstance
) -> None:
    report_id, in_person_id, handler_session = _owner_rows(demo)
    mailbox_key = PrivateKey.generate()
    submission_id, _portal_report, file_id = _submit(as_portal, b"evidence" * 1000, mailbox_key)

    with transaction(as_portal) as s:
        # Finished reports and files cannot be shredded or altered: no row qualifies.
        for envelope_id in (report_id, file_id):
            sealing.shred(s, envelope_id)
        assert (
            s.execute(
                text("UPDATE envelopes SET chunk_count = 1 WHERE id = :i"), {"i": file_id}
            ).rowcount
            == 0
        )  # type: ignore[attr-defined]
        # Other channels' submissions and the back office's sessions are invisible.
        assert s.get(Submission, in_person_id) is None
        assert s.get(WebSession, handler_session) is None
        assert s.execute(text("DELETE FROM web_sessions")).rowcount == 0  # type: ignore[attr-defined]
    with demo.sessions() as s:
        for envelope_id in (report_id, file_id):
            envelope = s.get(Envelope, envelope_id)
            assert envelope is not None and envelope.grants
        assert (
            s.execute(
                select(func.count()).select_from(FileChunk).where(FileChunk.envelope_id == file_id)
            ).scalar_one()
            > 0
        )
        assert s.get(WebSession, handler_session) is not None

    # It cannot plant a "handler" message in a reporter's thread, nor a mailbox-less report.
    forged: list[Callable[[Session], None]] = [
        lambda s: s.add(
            Message(
                submission_id=submission_id,
                direction="to_reporter",
                envelope_id=report_id,
                created_on=TODAY,
            )
        ),
        lambda s: s.add(
            Submission(channel="in_person", received_on=TODAY, report_envelope_id=report_id)
        ),
        lambda s: s.add(WebSession(id_hash=b"z" * 32, app="handler", data=b"x", expires_on=TODAY)),
    ]
    for forge in forged:
        with as_portal() as s, pytest.raises(DBAPIError) as caught:
            forge(s)
            s.flush()
        assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege)


@needs_postgres
def test_a_hijacked_portal_cannot_give_an_envelope_a_second_owner(
    as_portal: sessionmaker[Session], demo: DemoInstance
) -> None:
    """Its own case and mailbox, filled with another case's envelopes: the database refuses,
    even for the in-person report the portal cannot see."""
    in_person_report, _in_person, _session = _owner_rows(demo)
    victim_id, victim_report, victim_file = _submit(as_portal, b"evidence", PrivateKey.generate())
    own_id, _own_report, _own_file = _submit(as_portal, b"decoy", PrivateKey.generate())
    with as_portal() as s:
        victim_identity = s.get(Submission, victim_id).identity_envelope_id  # type: ignore[union-attr]
        victim_message = s.execute(
            select(Message.envelope_id).where(Message.submission_id == victim_id)
        ).scalar_one()

    def posing_as(report: str | None, identity: str | None = None) -> Callable[[Session], None]:
        def add(s: Session) -> None:
            mailbox = Mailbox(
                lookup_tag=secrets.token_bytes(32), public_key=b"k" * 32, created_on=TODAY
            )
            if report is None:
                keys = recipients.report_recipients(s, demo_org_id(s))
                fresh = sealing.seal(s, "report", b'{"facts": "decoy"}', keys, TODAY)
            s.add_all(
                [
                    mailbox,
                    Submission(
                        channel="portal",
                        org_id=demo_org_id(s),
                        received_on=TODAY,
                        report_envelope_id=report or fresh.id,
                        identity_envelope_id=identity,
                        mailbox=mailbox,
                    ),
                ]
            )

        return add

    forged: list[Callable[[Session], None]] = [
        posing_as(victim_report, victim_identity),
        posing_as(None, victim_identity),
        posing_as(in_person_report),
        lambda s: s.add(
            Message(
                submission_id=own_id,
                direction="from_reporter",
                envelope_id=victim_message,
                created_on=TODAY,
            )
        ),
        lambda s: s.add(Attachment(submission_id=own_id, envelope_id=victim_file)),
    ]
    for forge in forged:
        with as_portal() as s, pytest.raises(DBAPIError) as caught:
            forge(s)
            s.flush()
        assert isinstance(caught.value.orig, psycopg.errors.UniqueViolation), caught.value
    with demo.sessions() as s:
        assert s.execute(select(func.count()).select_from(Submission)).scalar_one() == 3


@needs_postgres
def test_grant_is_repeatable_and_refuses_unsafe_roles(portal_role: str, demo: DemoInstance) -> None:
    for _ in range(2):
        code, output = run_cli("db", "grant-portal", portal_role)
        assert code == 0, output
    code, output = run_cli("db", "grant-portal", "postgres")
    assert code != 0 and "superuser" in output
    code, output = run_cli("db", "grant-portal", "no_such_role")
    assert code != 0 and "does not exist" in output
    code, output = run_cli("db", "grant-portal", 'x"; DROP TABLE users; --')
    assert code != 0 and "role name" in output
    with demo.sessions() as s:
        assert s.execute(select(func.count()).select_from(User)).scalar_one() == 4


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the SQLite refusal is checked in the SQLite pass")
def test_grant_portal_refuses_sqlite_clearly(demo: DemoInstance) -> None:
    code, output = run_cli("db", "grant-portal", "adal_portal")
    assert code != 0
    assert "needs PostgreSQL" in output and "SQLite has no database roles" in output


def test_grants_cover_every_table() -> None:
    """A new table must be placed on purpose: granted to the portal or denied."""
    from installation.roles import TABLE_PRIVILEGES
    from store.models import Base

    placed = set(TABLE_PRIVILEGES) | set(DENIED_TABLES)
    assert set(Base.metadata.tables) <= placed, set(Base.metadata.tables) - placed
    assert not set(TABLE_PRIVILEGES) & set(DENIED_TABLES)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NONCE = re.compile(r'name="nonce"[^>]*value="([^"]+)"')
_CODE = re.compile(r'<p class="code"[^>]*><strong>([0-9 ]{24})</strong>')


def _find(pattern: re.Pattern[str], page: str) -> str:
    match = pattern.search(page)
    assert match, page[:2000]
    return match.group(1)


@needs_postgres
def test_the_portal_app_runs_as_the_portal_role(
    as_portal: sessionmaker[Session],
    portal_role: str,
    demo: DemoInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real portal, connected as the role: report with a file, mailbox, follow-up with a
    file, and shredding an incomplete upload as the role (as a refused form does; orphans past
    their grace are `adal housekeeping`'s, as the owner, which also reads disclosure records)."""
    from portal import create_app
    from portal.config import PortalConfig

    monkeypatch.setenv("ADAL_DATABASE_URL", role_url(demo.instance.database_url, portal_role))
    app = create_app(demo.instance, PortalConfig(secure_cookies=False, kdf_slots=1))
    app.config["TESTING"] = True
    client = app.test_client()
    try:
        form = client.get("/report").get_data(as_text=True)
        sent = client.post(
            "/report",
            content_type="multipart/form-data",
            data={
                "csrf_token": _find(_CSRF, form),
                "nonce": _find(_NONCE, form),
                "facts": "Взятка за подпись акта.",
                "acknowledge": "y",
                "files": [(io.BytesIO(b"%PDF evidence" * 10_000), "акт.pdf", "application/pdf")],
            },
        )
        assert sent.status_code == 200, sent.get_data(as_text=True)[:2000]
        code = _find(_CODE, sent.get_data(as_text=True))
        page = client.get("/mailbox").get_data(as_text=True)
        login = client.post("/mailbox/login", data={"csrf_token": _find(_CSRF, page), "code": code})
        assert login.status_code == 303, login.get_data(as_text=True)[:2000]
        page = client.get("/mailbox").get_data(as_text=True)
        reply = client.post(
            "/mailbox/reply",
            content_type="multipart/form-data",
            data={
                "csrf_token": _find(_CSRF, page),
                "text": "Дата: 12 марта.",
                "files": [(io.BytesIO(b"more"), "note.txt", "text/plain")],
            },
        )
        assert reply.status_code == 303, reply.get_data(as_text=True)[:2000]
        assert "Дата: 12 марта." in client.get("/mailbox").get_data(as_text=True)
    finally:
        app.extensions["adal.engine"].dispose()

    # A refused form shreds its incomplete upload as this role (the policy allows only those).
    with transaction(demo.sessions) as s:
        orphan = Envelope(id="0" * 32, purpose="file", stream_header=b"h", created_on=OLD)
        s.add(orphan)
    with transaction(as_portal) as s:
        sealing.shred(s, "0" * 32)
    with demo.sessions() as s:
        assert s.get(Envelope, "0" * 32) is None
        assert s.execute(select(func.count()).select_from(Attachment)).scalar_one() == 2


# --- organizations (issue 13) ---------------------------------------------------------------


def _report_for(
    org_id: int | None, sealed_for: int, listed: bool | None = None
) -> Callable[[Session], Submission]:
    """A portal report (its mailbox and sealed body) filed with `org_id`, as the portal writes
    one; sealed to the recovery key of `sealed_for`."""

    def add(s: Session) -> Submission:
        keys = list(
            s.execute(
                select(RecipientKey.public_key).where(
                    RecipientKey.org_id == sealed_for, RecipientKey.purpose == "recovery"
                )
            ).scalars()
        )
        report = sealing.seal(s, "report", b'{"facts": "tender"}', keys, TODAY)
        mailbox = Mailbox(
            lookup_tag=secrets.token_bytes(32), public_key=b"k" * 32, created_on=TODAY
        )
        submission = Submission(
            channel="portal",
            received_on=TODAY,
            report_envelope_id=report.id,
            mailbox=mailbox,
            org_id=org_id,
            listed=listed,
        )
        s.add_all([mailbox, submission])
        s.flush()
        return submission

    return add


@needs_postgres
def test_portal_role_reads_the_directory_and_nothing_more_of_organizations(
    as_portal: sessionmaker[Session], demo: DemoInstance
) -> None:
    make_tree(demo.sessions)
    with as_portal() as s:
        found = directory.search(s, "Денсаулық", "kk")
        assert [h.entry.slug for h in found.hits] == ["health"]
        where = directory.place(s, "health-control", "ru")
        assert where.parent is not None and where.parent.slug == "health"
        assert [c.slug for c in where.children] == ["health-control-almaty"]
        assert directory.single(s) is None
        assert directory.destination(s, "health-control", "health", "ru").slug == "health"
        assert {e.slug for e in directory.roots(s, "en")} == {"demo", "health", "finance"}
    for statement in (
        "SELECT created_on FROM organizations",
        "SELECT path FROM organizations",
        "SELECT * FROM organizations",
        "UPDATE organizations SET active = true",
        "UPDATE organizations SET name_ru = 'x'",
        "DELETE FROM organizations",
        "INSERT INTO organizations (slug, name_kk, name_ru, name_en, path, active, created_on) "
        "VALUES ('x', 'x', 'x', 'x', '/9/', true, now())",
    ):
        _denied(as_portal, statement)


@needs_postgres
def test_portal_role_files_reports_only_with_an_active_organization(
    as_portal: sessionmaker[Session], demo: DemoInstance
) -> None:
    ids = make_tree(demo.sessions)
    with transaction(as_portal) as s:
        accepted = _report_for(ids["health-control"], ids["health-control"])(s).id
    with demo.sessions() as s:
        stored = s.get(Submission, accepted)
        assert stored is not None and stored.org_id == ids["health-control"]
    for org_id in (ids[INACTIVE], None):
        with as_portal() as s, pytest.raises(DBAPIError) as caught:
            _report_for(org_id, ids[INACTIVE])(s)
        assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege), org_id
    with as_portal() as s, pytest.raises(DBAPIError):
        _report_for(2**31 - 1, ids["health"])(s)  # no such organization at all
    # Marked as listed already, a report would never get its list rows (cases.lists.catch_up
    # looks only for unlisted ones): it would reach no inbox.
    with as_portal() as s, pytest.raises(DBAPIError) as caught:
        _report_for(ids["health-control"], ids["health-control"], listed=True)(s)
    assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege)
