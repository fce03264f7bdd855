"""`adal backup` / `adal restore`: a wiped installation comes back whole, or nothing changes.

Runs on SQLite and (in the PostgreSQL pass) on PostgreSQL, plus SQLite -> PostgreSQL.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, func, select

from cases import lists
from cases.staff import open_totp
from crypto import keys as ckeys
from crypto import receipt
from crypto.kdf import KdfParams, derive_receipt_secrets, mailbox_private_key
from installation import backup
from installation import instance as inst
from store import audit, payloads, recipients, sealing
from store.db import make_engine, session_factory, transaction
from store.models import (
    Attachment,
    AuditEntry,
    CalendarDay,
    Case,
    CaseEvent,
    CaseLink,
    DisclosureBasis,
    Envelope,
    Mailbox,
    Message,
    Note,
    Notice,
    NotifyState,
    Protection,
    ProtectionMatter,
    Setting,
    Submission,
    User,
    WebSession,
)
from tests.support.instance import TEST_KDF, DemoInstance, demo_org_id, run_cli
from tests.support.needs import POSTGRES_URL

PASSPHRASE = "correct horse battery staple"
FAST = ["--kdf-time-cost", "1", "--kdf-memory-kib", "8192"]
TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAL_BACKUP_PASSPHRASE", PASSPHRASE)


def _populate(demo: DemoInstance, file_size: int = 200_000) -> dict[str, Any]:
    """A portal report with files and a thread, an in-person case with events, settings,
    calendar days, a session and audit entries: every table gets rows."""
    code = receipt.generate()
    found = derive_receipt_secrets(code, demo.instance.salt, demo.instance.kdf)
    mailbox_key = mailbox_private_key(found.mailbox_seed)
    data = secrets.token_bytes(file_size)
    with transaction(demo.sessions) as s:
        keys = recipients.report_recipients(s, demo_org_id(s))
        report = sealing.seal(s, "report", "Пара: 500 000 теңге".encode(), keys, TODAY)
        identity = sealing.seal(
            s, "identity", b"name", recipients.identity_recipients(s, demo_org_id(s)), TODAY
        )
        mailbox = Mailbox(
            lookup_tag=found.lookup_tag, public_key=bytes(mailbox_key.public_key), created_on=TODAY
        )
        sub = Submission(
            channel="portal",
            org_id=demo_org_id(s),
            received_on=TODAY,
            report_envelope_id=report.id,
            identity_envelope_id=identity.id,
            mailbox=mailbox,
        )
        s.add_all([mailbox, sub])
        s.flush()
        writer = sealing.FileWriter(s, keys, TODAY)
        writer.write(payloads.file_meta_header("акт.pdf", "application/pdf"))
        for start in range(0, len(data), 70_000):
            writer.write(data[start : start + 70_000])
        file_env = writer.finish()
        s.add(Attachment(submission_id=sub.id, envelope_id=file_env.id))
        for direction, text in (("from_reporter", b"more"), ("to_reporter", b"thanks")):
            env = sealing.seal(s, "message", text, [*keys, bytes(mailbox_key.public_key)], TODAY)
            s.add(
                Message(
                    submission_id=sub.id, direction=direction, envelope_id=env.id, created_on=TODAY
                )
            )
        other = sealing.seal(s, "report", b"in person", keys, TODAY)
        in_person = Submission(
            channel="in_person",
            org_id=demo_org_id(s),
            received_on=TODAY,
            report_envelope_id=other.id,
        )
        s.add(in_person)
        s.flush()
        now = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)
        case = Case(
            submission_id=in_person.id,
            status="registered",
            anonymous=False,
            nda_intended=True,
            registered_at=now,
            purge_after=date(2029, 11, 25),
        )
        s.add(case)
        s.flush()
        s.add(CaseEvent(case_id=case.id, kind="registered", at=now, details={"p": "6"}))
        protected = sealing.seal(
            s, "protection", b"who", recipients.identity_recipients(s, demo_org_id(s)), TODAY
        )
        s.flush()  # no relationship orders this insert after its envelope's
        protection = Protection(case_id=case.id, envelope_id=protected.id, created_on=TODAY)
        s.add(protection)
        s.flush()
        s.add(
            ProtectionMatter(
                protection_id=protection.id,
                kind="transfer",
                body="collegial",
                proposed_on=TODAY,
                meeting_on=date(2026, 12, 10),
            )
        )
        court = sealing.seal(
            s, "identity", b"court", recipients.identity_recipients(s, demo_org_id(s)), TODAY
        )
        s.flush()
        s.add(
            DisclosureBasis(
                case_id=case.id, kind="court", dated_on=date(2026, 11, 20), envelope_id=court.id
            )
        )
        s.add(
            Setting(
                org_id=demo_org_id(s), key="organisation", value={"name": "Агенттік", "n": [1, 2]}
            )
        )
        s.add(CalendarDay(day=date(2026, 12, 31), kind="day_off", note="decree"))
        s.add(WebSession(id_hash=b"s" * 32, app="portal", data=b"sealed", expires_on=TODAY))
        handler = s.execute(select(User).where(User.role == "handler")).scalars().first()
        assert handler is not None
        s.add(Notice(user_id=handler.id, tag=b"t" * 32, kind="new_report", sent_on=TODAY))
        s.add(NotifyState(key="scan_from", value={"date": TODAY.isoformat()}))
        s.flush()
        lists.catch_up(s)  # the list rows the back office keeps for every report
        noted = sealing.seal(s, "note", b"internal", keys, TODAY)
        s.flush()
        s.add(
            Note(submission_id=sub.id, envelope_id=noted.id, author_id=handler.id, created_on=TODAY)
        )
        first, second = sorted((sub.id, in_person.id))
        s.add(CaseLink(first_id=first, second_id=second, created_by=handler.id, created_on=TODAY))
        audit.append(
            s,
            "case.register",
            actor="demo-handler",
            target=str(case.id),
            details={"channel": "in_person"},
            org_id=demo_org_id(s),
        )
    return {"code": code, "file_id": file_env.id, "file": data}


def _utc(value: Any) -> Any:
    # SQLite returns naive UTC datetimes, PostgreSQL aware ones: compare instants.
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return value


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return {
            t.name: [
                tuple(_utc(v) for v in r)
                for r in conn.execute(select(t).order_by(*t.primary_key.columns))
            ]
            for t in meta.sorted_tables
            if t.name != "alembic_version"
        }


def _wipe(demo: DemoInstance) -> None:
    meta = MetaData()
    meta.reflect(bind=demo.engine)
    meta.drop_all(bind=demo.engine)
    for path in sorted(demo.path.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    demo.path.rmdir()


def _files(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in path.rglob("*") if p.is_file()
    }


def _backup(tmp_path: Path, name: str = "adal.backup") -> Path:
    target = tmp_path / name
    code, output = run_cli("backup", str(target), *FAST)
    assert code == 0, output
    assert "Backup written" in output
    return target


def _assert_restored(
    demo: DemoInstance,
    original: inst.Instance,
    before: dict[str, list[tuple[Any, ...]]],
    made: dict[str, Any],
) -> None:
    """`demo.path` holds the restored instance; `original` is the one that was backed up."""
    restored = inst.load(demo.path)
    assert restored.secret_key == original.secret_key
    assert restored.salt == original.salt and restored.kdf == original.kdf
    engine = make_engine(restored.database_url)
    after = _rows(engine)
    assert set(after) == set(before)
    for table, rows in before.items():
        if table == "audit_log":
            # Everything that was there, then the restore's own entry.
            assert after[table][:-1] == rows
            assert after[table][-1][3] == "backup.restore"
        else:
            assert after[table] == rows, table
    factory = session_factory(engine)
    audit.install(factory, demo.path)  # a back-office writer: it holds the restored audit.key
    creds = demo.credentials()["handler"]
    with factory() as s:
        # The receipt code still finds its mailbox (salt and KDF parameters came back) ...
        found = derive_receipt_secrets(made["code"], restored.salt, restored.kdf)
        assert (
            s.execute(
                select(Mailbox).where(Mailbox.lookup_tag == found.lookup_tag)
            ).scalar_one_or_none()
            is not None
        )
        # ... the handler's password opens the file, byte for byte ...
        user = s.execute(select(User).where(User.username == creds["username"])).scalar_one()
        key = ckeys.unwrap_private_key(user.wrapped_key, creds["password"])
        envelope = s.get(Envelope, made["file_id"])
        plain = b"".join(sealing.iter_file(s, envelope, key))
        assert plain.endswith(made["file"])
        # ... the TOTP seed opens with the restored secret key, and the audit chain holds.
        assert open_totp(restored.secret_key, user.totp_secret) == creds["totp secret"]
        result = audit.verify(s, anchor=demo.path / audit.ANCHOR_NAME)
        assert result.ok and result.anchored, result
    # New rows get fresh ids: PostgreSQL's sequences were moved past the restored data.
    with transaction(factory) as s:
        sub = s.execute(select(Submission).where(Submission.channel == "portal")).scalar_one()
        env = sealing.seal(
            s, "message", b"after", recipients.report_recipients(s, demo_org_id(s)), TODAY
        )
        s.add(
            Message(
                submission_id=sub.id,
                direction="from_reporter",
                envelope_id=env.id,
                created_on=TODAY,
            )
        )
        audit.append(s, "after.restore", actor="test", org_id=demo_org_id(s))
    engine.dispose()
    code, output = run_cli("audit", "verify")
    assert code == 0, output


def test_backup_wipe_restore_gives_everything_back(demo: DemoInstance, tmp_path: Path) -> None:
    made = _populate(demo)
    target = _backup(tmp_path)
    before = _rows(demo.engine)
    assert all(before.values()), [t for t, rows in before.items() if not rows]
    assert before["audit_log"][-1][3] == "backup.create"
    # The file is ciphertext throughout: no table, name or secret is readable in it.
    raw = target.read_bytes()
    for needle in (
        b"envelopes",
        b"demo-handler",
        b"secret",
        demo.instance.secret_key,
        demo.instance.portal_key,
        "Агенттік".encode(),
    ):
        assert needle not in raw
    assert target.stat().st_mode & 0o777 == 0o600

    demo.engine.dispose()
    _wipe(demo)
    code, output = run_cli("restore", str(target))
    assert code == 0, output
    assert "Restored" in output
    # portal.key comes back as it was: the portal hosts' copies stay valid.
    key_file = demo.path / inst.PORTAL_KEY_NAME
    assert key_file.read_bytes() == demo.instance.portal_key
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert inst.load_portal(demo.path).portal_key == demo.instance.portal_key
    _assert_restored(demo, demo.instance, before, made)


def test_backup_from_before_portal_key_restores_and_gets_one(
    demo: DemoInstance, tmp_path: Path
) -> None:
    made = _populate(demo, file_size=10_000)
    (demo.path / inst.PORTAL_KEY_NAME).unlink()  # an instance made before portal.key existed
    # `adal backup` would create portal.key first (its instance load upgrades the folder), so
    # dump directly, as Adal did before portal.key existed.
    target = tmp_path / "old.backup"
    with target.open("xb") as dst:
        summary = backup.dump(
            demo.engine, demo.path, dst, PASSPHRASE, params=KdfParams(time_cost=1, memory_kib=8192)
        )
    assert inst.PORTAL_KEY_NAME not in summary.files and inst.SECRET_NAME in summary.files
    before = _rows(demo.engine)
    demo.engine.dispose()
    _wipe(demo)
    code, output = run_cli("restore", str(target))
    assert code == 0, output
    assert not (demo.path / inst.PORTAL_KEY_NAME).exists()
    # The portal cannot run from it yet, and says what to do ...
    with pytest.raises(inst.InstanceError, match="adal db upgrade"):
        inst.load_portal(demo.path)
    # ... and the first back-office load (here, the checks of a full restore) makes portal.key.
    _assert_restored(demo, demo.instance, before, made)
    key_file = demo.path / inst.PORTAL_KEY_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert inst.load_portal(demo.path).portal_key == key_file.read_bytes()


def test_every_refusal_changes_nothing(
    demo: DemoInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(demo)
    target = _backup(tmp_path)

    # Into the installation itself: its instance folder is in use.
    files, rows = _files(demo.path), _rows(demo.engine)
    code, output = run_cli("restore", str(target))
    assert code != 0
    assert "already holds an instance" in output and "Nothing was changed" in output
    assert _files(demo.path) == files and _rows(demo.engine) == rows

    # A fresh instance folder, but ADAL_DATABASE_URL still names a database with data.
    empty = tmp_path / "elsewhere"
    monkeypatch.setenv("ADAL_INSTANCE", str(empty))
    code, output = run_cli("restore", str(target))
    assert code != 0
    assert "already holds data" in output and "Nothing was changed" in output
    assert not empty.exists() and _rows(demo.engine) == rows

    # An empty target, but a wrong passphrase, a cut file or a flipped bit.
    monkeypatch.setenv("ADAL_INSTANCE", str(demo.path))
    demo.engine.dispose()
    _wipe(demo)
    raw = target.read_bytes()
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 1
    cases = [
        ("wrong", raw, "passphrase does not open this backup"),
        ("truncated", raw[:-100], "truncated"),
        ("flipped", bytes(flipped), "damaged"),
    ]
    for name, data, message in cases:
        damaged = tmp_path / f"{name}.backup"
        damaged.write_bytes(data)
        if name == "wrong":
            monkeypatch.setenv("ADAL_BACKUP_PASSPHRASE", PASSPHRASE + "!")
        code, output = run_cli("restore", str(damaged))
        monkeypatch.setenv("ADAL_BACKUP_PASSPHRASE", PASSPHRASE)
        assert code != 0 and message in output, (name, output)
        assert not demo.path.exists(), name
        assert _rows(demo.engine) == {}, name


def test_backup_never_overwrites_and_wants_a_real_passphrase(
    demo: DemoInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _backup(tmp_path)
    code, output = run_cli("backup", str(target), *FAST)
    assert code != 0 and "exists" in output
    monkeypatch.setenv("ADAL_BACKUP_PASSPHRASE", "short")
    code, output = run_cli("backup", str(tmp_path / "other.backup"), *FAST)
    assert code != 0 and "at least 12" in output
    assert not (tmp_path / "other.backup").exists()


class _WriterDuringDump(io.BytesIO):
    """A backup destination that lets another connection commit while the dump is running."""

    def __init__(self, after_bytes: int, action: Callable[[], None]) -> None:
        super().__init__()
        self.after_bytes = after_bytes
        self.action: Callable[[], None] | None = action

    def write(self, data: Any) -> int:
        written = super().write(data)
        if self.action is not None and self.tell() > self.after_bytes:
            action, self.action = self.action, None
            action()
        return written


def test_dump_reads_one_snapshot(demo: DemoInstance, tmp_path: Path) -> None:
    """Rows committed while the dump streams are not in it, and the copy stays consistent."""
    made = _populate(demo, file_size=4 * 1024 * 1024)
    before = _rows(demo.engine)

    def concurrent_work() -> None:
        factory = session_factory(demo.engine)
        audit.install_anchor(factory, demo.path / audit.ANCHOR_NAME)
        with transaction(factory) as s:
            keys = recipients.report_recipients(s, demo_org_id(s))
            env = sealing.seal(s, "report", b"late", keys, TODAY)
            s.add(
                Submission(
                    channel="in_person",
                    org_id=demo_org_id(s),
                    received_on=TODAY,
                    report_envelope_id=env.id,
                )
            )
            audit.append(s, "late.entry", actor="test", org_id=demo_org_id(s))

    # Frames are 1 MiB, so the first write after the preamble happens mid-way through the
    # file chunks: the snapshot is already open.
    dst = _WriterDuringDump(2 * 1024 * 1024, concurrent_work)
    backup.dump(
        demo.engine, demo.path, dst, PASSPHRASE, params=KdfParams(time_cost=1, memory_kib=8192)
    )
    assert dst.action is None, "the concurrent writer never ran"
    with demo.sessions() as s:
        assert (
            s.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "late.entry")
            ).scalar_one()
            == 1
        )
    target = tmp_path / "snapshot.backup"
    target.write_bytes(dst.getvalue())
    demo.engine.dispose()
    _wipe(demo)
    code, output = run_cli("restore", str(target))
    assert code == 0, output
    _assert_restored(demo, demo.instance, before, made)


@pytest.mark.skipif(not POSTGRES_URL, reason="ADAL_TEST_POSTGRES_URL is unset")
def test_sqlite_installation_moves_to_postgresql(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Database-agnostic: a backup of a SQLite installation restores onto PostgreSQL."""
    sqlite_dir = tmp_path / "sqlite-instance"
    monkeypatch.setenv("ADAL_INSTANCE", str(sqlite_dir))
    monkeypatch.delenv("ADAL_DATABASE_URL", raising=False)
    code, output = run_cli("init", "--demo", *TEST_KDF)
    assert code == 0, output
    source = inst.load(sqlite_dir)
    engine = make_engine(source.default_database_url)
    sessions = session_factory(engine)
    audit.install(sessions, sqlite_dir)  # a back-office writer: its entries carry the MAC
    demo = DemoInstance(sqlite_dir, source, engine, sessions, output)
    made = _populate(demo)
    target = _backup(tmp_path)
    before = _rows(engine)
    engine.dispose()

    pg_dir = tmp_path / "pg-instance"
    monkeypatch.setenv("ADAL_INSTANCE", str(pg_dir))
    monkeypatch.setenv("ADAL_DATABASE_URL", database_url)
    code, output = run_cli("restore", str(target))
    assert code == 0, output
    assert not (pg_dir / inst.DB_NAME).exists()
    # The demo credentials file travelled with the instance folder.
    moved = DemoInstance(pg_dir, source, engine, demo.sessions, output)
    _assert_restored(moved, source, before, made)
