"""Migration 0005 (issue 12): head keys of an existing installation count as approved.

Nothing could sign them during the upgrade, and leaving them pending would stop sealing new
identities to any head; so active head keys are marked "carried over", listed for review.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from crypto import keys as ckeys
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import RecipientKey
from store.recipients import approved_head_keys, carried_over, identity_recipients


def _key(conn, purpose: str, active: bool) -> bytes:  # type: ignore[no-untyped-def]
    public = bytes(ckeys.generate_keypair().public_key)
    conn.execute(text("INSERT INTO recipient_keys (key_id, public_key, purpose, active) "
                      "VALUES (:k, :p, :u, :a)"),
                 {"k": ckeys.key_id(public), "p": public, "u": purpose, "a": active})
    return public


def test_active_head_keys_are_carried_over_as_approved(database_url: str, tmp_path: Path
                                                       ) -> None:
    (tmp_path / "instance").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            recovery = _key(conn, "recovery", True)
            head = _key(conn, "head", True)
            retired = _key(conn, "head", False)
            handler = _key(conn, "handler", True)
        upgrade(engine)
        with session_factory(engine)() as session:
            assert identity_recipients(session) == [recovery, head]
            rows = {bytes(r.public_key): r for r in session.scalars(select(RecipientKey))}
            assert carried_over(rows[head]) and rows[head].approved_at is not None
            assert rows[retired].approved_at is None and rows[handler].approved_at is None
            assert approved_head_keys(session) == {ckeys.key_id(head)}
    finally:
        engine.dispose()
