"""`adal audit verify`: any edit, deletion (the newest rows too) or reordering is found and named.

The demo instance starts with five entries (instance.init and four user.create) written by the
real `adal init`, which also wrote the anchor. Tampering goes straight to the database, as an
attacker with database access would.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from store import audit
from store.models import AuditEntry
from tests.support.instance import DemoInstance, demo_org_id, run_cli


def _verify() -> tuple[int, str]:
    return run_cli("audit", "verify")


def _ids(demo: DemoInstance) -> list[int]:
    with demo.sessions() as s:
        return list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def _named(output: str) -> int:
    match = re.search(r"FAILED at entry (\d+)", output)
    assert match, output
    return int(match.group(1))


def test_untouched_log_verifies(demo: DemoInstance) -> None:
    code, output = _verify()
    assert code == 0, output
    # init, four users, and the demo head's key added and approved by the recovery key
    assert "OK: 7 entries" in output
    assert (demo.path / audit.ANCHOR_NAME).exists()


def test_edit_is_named(demo: DemoInstance) -> None:
    ids = _ids(demo)
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone' WHERE id = :id"), {"id": ids[2]})
    code, output = _verify()
    assert code == 1 and _named(output) == ids[2]


def test_deleting_a_middle_row_is_named(demo: DemoInstance) -> None:
    ids = _ids(demo)
    with demo.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    code, output = _verify()
    # The first entry that no longer follows its predecessor is the one after the gap.
    assert code == 1 and _named(output) == ids[2]


@pytest.mark.parametrize("count", [1, 2])
def test_deleting_the_newest_rows_is_found_by_the_anchor(demo: DemoInstance, count: int) -> None:
    ids = _ids(demo)
    with demo.engine.begin() as conn:
        for entry_id in ids[-count:]:
            conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entry_id})
    # The remaining chain is perfectly consistent on its own ...
    with demo.sessions() as s:
        assert audit.verify(s).ok
    # ... but the anchor outside the database remembers the newest entry.
    code, output = _verify()
    assert code == 1 and _named(output) == ids[-1]
    assert "missing" in output


def test_reordering_is_named(demo: DemoInstance) -> None:
    ids = _ids(demo)
    a, b = ids[1], ids[2]
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET id = :tmp WHERE id = :a"), {"tmp": -a, "a": a})
        conn.execute(text("UPDATE audit_log SET id = :a WHERE id = :b"), {"a": a, "b": b})
        conn.execute(text("UPDATE audit_log SET id = :b WHERE id = :tmp"), {"b": b, "tmp": -a})
    code, output = _verify()
    assert code == 1 and _named(output) == a


def test_recomputed_chain_is_caught_by_the_anchor(demo: DemoInstance) -> None:
    """An attacker who edits a row and recomputes every later hash fools the chain alone."""
    with demo.sessions() as s, s.begin():
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        # Unique hashes: move them out of the way first, then rewrite in order.
        for e in entries:
            e.prev_hash, e.entry_hash = f"{e.id:064d}", f"{e.id + 1000:064d}"
        s.flush()
        prev = audit.GENESIS
        entries[1].details = {"role": "admin"}
        for e in entries:
            e.prev_hash = prev
            e.entry_hash = audit.entry_hash(e)
            prev = e.entry_hash
    with demo.sessions() as s:
        assert audit.verify(s).ok
    code, output = _verify()
    # Issue 12, item 5: the rewritten entry itself lacks a valid MAC; before the keyed chain
    # only the anchor noticed, at the newest entry.
    assert code == 1 and _named(output) == entries[1].id


def test_missing_anchor_fails(demo: DemoInstance) -> None:
    (demo.path / audit.ANCHOR_NAME).unlink()
    code, output = _verify()
    assert code == 1 and "anchor" in output


def test_anchor_follows_new_entries(demo: DemoInstance) -> None:
    # A CLI action that audits moves the anchor forward; deleting its entry is then caught.
    code, output = run_cli("user", "add", "--role", "auditor", "second-auditor")
    assert code == 0, output
    assert _verify()[0] == 0
    last = _ids(demo)[-1]
    with demo.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": last})
    code, output = _verify()
    assert code == 1 and _named(output) == last


def test_rolled_back_transaction_writes_no_anchor(demo: DemoInstance) -> None:
    from store.db import session_factory

    factory = session_factory(demo.engine)
    anchor = demo.path / audit.ANCHOR_NAME
    audit.install_anchor(factory, anchor)
    before = anchor.read_text()
    with factory() as s:
        s.begin()
        audit.append(s, "test.rolled_back", org_id=demo_org_id(s))
        s.rollback()
    assert anchor.read_text() == before
    with factory() as s, s.begin():
        audit.append(s, "test.committed", org_id=demo_org_id(s))
    assert anchor.read_text() != before
    assert _verify()[0] == 0
