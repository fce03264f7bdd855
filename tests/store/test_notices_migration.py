"""Migration 0007 (issue 14): users gain their notice settings without a rebuild that could
cascade into the rows that reference them; existing users start with no address (so nobody is
mailed until they confirm one) and every notice kind on; the notices ledger is created."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from store.db import make_engine
from store.migrate import current_revision, upgrade


def test_0007_keeps_every_user_and_their_keys(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, full_name, role, password_hash, "
                    "totp_enrolled, failed_attempts, must_change_password, active, created_at) "
                    "VALUES (7, 'aigerim', 'Айгерім Сейітқызы', 'handler', 'x', true, 0, "
                    "false, true, '2026-12-07 05:00:00+00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO recipient_keys (key_id, public_key, purpose, user_id, active) "
                    "VALUES ('k1', :pk, 'handler', 7, true)"
                ),
                {"pk": b"p" * 32},
            )
        upgrade(engine, "0007")
        assert current_revision(engine) == "0007"
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT username, email, email_confirmed, mail_language, notices_off, "
                    "email_code_attempts FROM users"
                )
            ).one()
            assert tuple(row) == ("aigerim", None, False, "kk", "", 0)
            assert conn.execute(text("SELECT user_id FROM recipient_keys")).scalars().all() == [7]
        assert "notices" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
