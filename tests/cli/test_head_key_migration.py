"""Migration 0005 (issue 12): head keys of an existing installation count as approved.

Nothing could sign them during the upgrade, and leaving them pending would stop sealing new
identities to any head; so active head keys are marked "carried over", listed for review.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from cases.organizations import by_slug
from crypto import keys as ckeys
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import RecipientKey
from store.recipients import approved_head_keys, carried_over, identity_recipients


def _user(
    conn,
    username: str,
    *,
    one_time_password: bool = False,  # type: ignore[no-untyped-def]
    enrolled: bool = True,
) -> int:
    conn.execute(
        text(
            "INSERT INTO users (username, full_name, role, password_hash, "
            "totp_enrolled, failed_attempts, must_change_password, active, created_at) "
            "VALUES (:n, :n, 'head', 'x', :e, 0, :m, :a, :c)"
        ),
        {"n": username, "e": enrolled, "m": one_time_password, "a": True, "c": datetime.now(UTC)},
    )
    return int(
        conn.execute(text("SELECT id FROM users WHERE username = :n"), {"n": username}).scalar_one()
    )


def _key(
    conn,
    purpose: str,
    active: bool,  # type: ignore[no-untyped-def]
    user_id: int | None = None,
) -> bytes:
    public = bytes(ckeys.generate_keypair().public_key)
    conn.execute(
        text(
            "INSERT INTO recipient_keys (key_id, public_key, purpose, active, user_id) "
            "VALUES (:k, :p, :u, :a, :i)"
        ),
        {"k": ckeys.key_id(public), "p": public, "u": purpose, "a": active, "i": user_id},
    )
    return public


def test_active_head_keys_are_carried_over_as_approved(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            recovery = _key(conn, "recovery", True)
            head = _key(conn, "head", True, _user(conn, "head"))
            retired = _key(conn, "head", False, _user(conn, "old"))
            handler = _key(conn, "handler", True)
        upgrade(engine)
        with session_factory(engine)() as session:
            assert identity_recipients(session, by_slug(session, "main").id) == [recovery, head]
            rows = {bytes(r.public_key): r for r in session.scalars(select(RecipientKey))}
            assert carried_over(rows[head]) and rows[head].approved_at is not None
            assert rows[retired].approved_at is None and rows[handler].approved_at is None
            assert approved_head_keys(session, by_slug(session, "main").id) == {ckeys.key_id(head)}
    finally:
        engine.dispose()


def test_a_head_whose_one_time_password_is_unchanged_is_not_carried_over(
    database_url: str, tmp_path: Path
) -> None:
    """The admin who created or reset a head account was shown its one-time password: if the
    upgrade finds that password still unchanged (or two-factor never set up), the account may
    be the admin's, and carrying its key over would give the admin every new identity (p14).
    Such a key waits for a real approval, like a key issued after the upgrade."""
    (tmp_path / "instance").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            recovery = _key(conn, "recovery", True)
            head = _key(conn, "head", True, _user(conn, "head"))
            fresh = _key(
                conn, "head", True, _user(conn, "fresh", one_time_password=True, enrolled=False)
            )
            reset = _key(conn, "head", True, _user(conn, "reset", one_time_password=True))
            orphan = _key(conn, "head", True)
        upgrade(engine)
        with session_factory(engine)() as session:
            assert identity_recipients(session, by_slug(session, "main").id) == [recovery, head]
            rows = {bytes(r.public_key): r for r in session.scalars(select(RecipientKey))}
            for pending in (fresh, reset, orphan):
                assert rows[pending].approved_at is None and not carried_over(rows[pending])
            assert approved_head_keys(session, by_slug(session, "main").id) == {ckeys.key_id(head)}
    finally:
        engine.dispose()
