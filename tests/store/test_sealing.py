from __future__ import annotations

import io
import os
from datetime import date

import pytest
from sqlalchemy import func, select

from crypto import keys as ckeys
from crypto.errors import DecryptionError
from store import recipients, sealing
from store.db import transaction
from store.models import Envelope, FileChunk, Grant
from tests.support.instance import DemoInstance, demo_org_id

TODAY = date(2026, 11, 25)


def test_report_opens_for_handler_head_and_recovery(demo: DemoInstance) -> None:
    with transaction(demo.sessions) as s:
        env = sealing.seal(
            s,
            "report",
            "Пара 500 000 теңге".encode(),
            recipients.report_recipients(s, demo_org_id(s)),
            TODAY,
        )
        env_id = env.id
    recovery = ckeys.parse_recovery_key(demo.recovery_key())
    with demo.sessions() as s:
        env = s.get(Envelope, env_id)
        assert len(env.grants) == 3
        for key in (demo.staff_key("handler"), demo.staff_key("head"), recovery):
            assert sealing.open_body(env, key, expect="report").decode() == "Пара 500 000 теңге"
        with pytest.raises(DecryptionError):
            sealing.open_body(env, ckeys.generate_keypair(), expect="report")


def test_identity_is_not_sealed_to_handlers(demo: DemoInstance) -> None:
    with transaction(demo.sessions) as s:
        env = sealing.seal(
            s, "identity", b"Name", recipients.identity_recipients(s, demo_org_id(s)), TODAY
        )
        env_id = env.id
    with demo.sessions() as s:
        env = s.get(Envelope, env_id)
        assert sealing.open_body(env, demo.staff_key("head"), expect="identity") == b"Name"
        with pytest.raises(DecryptionError):
            sealing.open_body(env, demo.staff_key("handler"), expect="identity")


def test_body_moved_to_another_row_does_not_open(demo: DemoInstance) -> None:
    with transaction(demo.sessions) as s:
        keys = recipients.report_recipients(s, demo_org_id(s))
        a = sealing.seal(s, "report", b"A", keys, TODAY)
        b = sealing.seal(s, "report", b"B", keys, TODAY)
        b.body = a.body
        # B's grants hold B's data key; A's body under A's id does not open under B.
        b.grants.clear()
        s.flush()
        for g in a.grants:
            b.grants.append(Grant(envelope_id=b.id, key_id=g.key_id, sealed_key=g.sealed_key))
        b_id = b.id
    with demo.sessions() as s, pytest.raises(DecryptionError):
        sealing.open_body(s.get(Envelope, b_id), demo.staff_key("handler"), expect="report")


def test_envelope_opens_only_as_the_purpose_it_is_expected_for(demo: DemoInstance) -> None:
    """The caller says what it expects; the row's purpose column (written by whoever inserted
    the row) cannot make a report open as an identity block."""
    with transaction(demo.sessions) as s:
        env_id = sealing.seal(
            s, "report", b"R", recipients.report_recipients(s, demo_org_id(s)), TODAY
        ).id
    head = demo.staff_key("head")
    with transaction(demo.sessions) as s:
        env = s.get(Envelope, env_id)
        assert sealing.open_body(env, head, expect="report") == b"R"
        with pytest.raises(DecryptionError):
            sealing.open_body(env, head, expect="identity")
        env.purpose = "identity"
    with demo.sessions() as s, pytest.raises(DecryptionError):
        sealing.open_body(s.get(Envelope, env_id), head, expect="identity")


def test_grant_and_revoke(demo: DemoInstance) -> None:
    newcomer = ckeys.generate_keypair()
    with transaction(demo.sessions) as s:
        env = sealing.seal(
            s, "report", b"secret", recipients.report_recipients(s, demo_org_id(s)), TODAY
        )
        env_id = env.id
    with transaction(demo.sessions) as s:
        env = s.get(Envelope, env_id)
        with pytest.raises(DecryptionError):
            sealing.open_body(env, newcomer, expect="report")
        key = sealing.open_data_key(env, demo.staff_key("handler"))
        sealing.add_grant(s, env, key, bytes(newcomer.public_key))
    with transaction(demo.sessions) as s:
        env = s.get(Envelope, env_id)
        assert sealing.open_body(env, newcomer, expect="report") == b"secret"
        sealing.revoke_grant(s, env, ckeys.key_id(newcomer.public_key))
    with demo.sessions() as s, pytest.raises(DecryptionError):
        sealing.open_body(s.get(Envelope, env_id), newcomer, expect="report")


def test_file_round_trip_and_shred(demo: DemoInstance) -> None:
    data = os.urandom(300_000)
    with transaction(demo.sessions) as s:
        writer = sealing.FileWriter(s, recipients.report_recipients(s, demo_org_id(s)), TODAY)
        src = io.BytesIO(data)
        while piece := src.read(7_777):
            writer.write(piece)
        env_id = writer.finish().id
    handler = demo.staff_key("handler")
    with demo.sessions() as s:
        env = s.get(Envelope, env_id)
        assert b"".join(sealing.iter_file(s, env, handler)) == data
        stored = b"".join(s.scalars(select(FileChunk.data).where(FileChunk.envelope_id == env_id)))
        assert data[:64] not in stored
    with transaction(demo.sessions) as s:
        sealing.shred(s, env_id)
    with demo.sessions() as s:
        assert s.get(Envelope, env_id) is None
        for model in (FileChunk, Grant):
            count = s.scalar(
                select(func.count()).select_from(model).where(model.envelope_id == env_id)
            )
            assert count == 0


def test_incomplete_or_truncated_file_never_opens(demo: DemoInstance) -> None:
    with transaction(demo.sessions) as s:
        writer = sealing.FileWriter(s, recipients.report_recipients(s, demo_org_id(s)), TODAY)
        writer.write(os.urandom(200_000))
        unfinished = writer.envelope_id
        writer2 = sealing.FileWriter(s, recipients.report_recipients(s, demo_org_id(s)), TODAY)
        writer2.write(os.urandom(200_000))
        truncated = writer2.finish().id
    with transaction(demo.sessions) as s:
        last = s.scalar(select(func.max(FileChunk.seq)).where(FileChunk.envelope_id == truncated))
        s.execute(
            FileChunk.__table__.delete().where(
                FileChunk.envelope_id == truncated, FileChunk.seq == last
            )
        )
    handler = demo.staff_key("handler")
    with demo.sessions() as s:
        for env_id in (unfinished, truncated):
            with pytest.raises(DecryptionError):
                b"".join(sealing.iter_file(s, s.get(Envelope, env_id), handler))
