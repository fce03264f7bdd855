"""Issue 12, item 5: a chain-valid entry forged in the database does not verify.

Before the keyed chain, an attacker who could write only the database appended an entry
(`identity.open` in a head's name) whose hash and link were perfect, after the last anchored
one, and `adal audit verify` accepted it. Every entry now carries an HMAC under `audit.key` in
the back office's instance folder.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from portal import create_app as create_portal
from store import audit
from store.models import AuditEntry
from tests.support.backoffice import Browser
from tests.support.instance import DemoInstance, run_cli


def _named(output: str) -> int:
    match = re.search(r"FAILED at entry (\d+)", output)
    assert match, output
    return int(match.group(1))


def _forge(demo: DemoInstance, *, mac: str | None = None) -> int:
    """Append a chain-valid entry straight into the database, as a database-only writer can."""
    head = demo.credentials()["head"]["username"]
    with demo.sessions() as s, s.begin():
        tail = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        forged = AuditEntry(
            at=datetime.now(UTC),
            org_id=tail.org_id,  # appended to the newest entry's own chain
            actor=head,
            action="identity.open",
            target="a" * 32,
            details={},
            prev_hash=tail.entry_hash,
            entry_hash="",
            entry_mac=mac,
        )
        forged.entry_hash = audit.entry_hash(forged)
        s.add(forged)
        s.flush()
        return forged.id


def test_a_forged_chain_valid_entry_is_named(demo: DemoInstance) -> None:
    assert run_cli("audit", "verify")[0] == 0
    forged = _forge(demo)
    # The chain alone, and the anchor (which recorded an older entry), accept it ...
    with demo.sessions() as s:
        assert audit.verify(s, anchor=demo.path / audit.ANCHOR_NAME).ok
    # ... the key does not.
    code, output = run_cli("audit", "verify")
    assert code == 1 and _named(output) == forged, output
    assert "MAC" in output


def test_a_mac_copied_from_another_entry_does_not_help(demo: DemoInstance) -> None:
    with demo.sessions() as s:
        borrowed = s.scalars(select(AuditEntry.entry_mac).order_by(AuditEntry.id.desc())).first()
    assert borrowed
    forged = _forge(demo, mac=borrowed)
    code, output = run_cli("audit", "verify")
    assert code == 1 and _named(output) == forged


def test_the_auditor_page_names_the_forged_entry(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    forged = _forge(demo)
    page = as_role("auditor").get("/audit/verify")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert str(forged) in body and "audit.key" in body


def test_the_key_is_in_the_instance_folder_not_the_database(demo: DemoInstance) -> None:
    key = audit.read_key(demo.path)
    assert key is not None and key.legacy_id == 0  # a new instance is keyed from its first entry
    raw = key.key.hex()
    with demo.engine.connect() as conn:
        for (details,) in conn.execute(text("SELECT details FROM audit_log")):
            assert raw not in json.dumps(details)


def _as_before_the_key(demo: DemoInstance) -> list[int]:
    """Turn the demo log into one from before the keyed chain, as migrated: no audit.key,
    entries without MACs, all in organization 1's chain (migration 0010 put every entry of an
    installation from before organizations there), anchored by a line of the old form."""
    (demo.path / audit.KEY_NAME).unlink()
    with demo.sessions() as s, s.begin():
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        for e in entries:
            e.prev_hash, e.entry_hash = f"{e.id:064d}", f"{e.id + 1000:064d}"
        s.flush()
        prev = audit.GENESIS
        for e in entries:
            e.org_id, e.entry_mac, e.prev_hash = audit.LEGACY_ORG, None, prev
            e.entry_hash = prev = audit.entry_hash(e)
    (demo.path / audit.ANCHOR_NAME).write_text(f"{entries[-1].id} {prev}\n")
    return [e.id for e in entries]


def test_an_older_installation_keeps_its_entries_and_is_keyed_from_its_head(
    demo: DemoInstance,
) -> None:
    # As an installation from before the keyed chain: entries without MACs, no audit.key.
    old = _as_before_the_key(demo)
    code, output = run_cli("audit", "verify")
    assert code == 0, output
    assert f"Entries 1 to {old[-1]} predate the keyed chain" in output
    key = audit.read_key(demo.path)
    assert key is not None and key.legacy_id == old[-1]
    # New entries are keyed and verify ...
    assert run_cli("user", "add", "--role", "auditor", "second-auditor")[0] == 0
    assert run_cli("audit", "verify")[0] == 0
    # ... a forged one after them does not ...
    forged = _forge(demo)
    code, output = run_cli("audit", "verify")
    assert code == 1 and _named(output) == forged
    with demo.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": forged})


def test_old_entries_cannot_be_rewritten_after_the_upgrade(demo: DemoInstance) -> None:
    _as_before_the_key(demo)
    assert run_cli("audit", "verify")[0] == 0
    key = audit.read_key(demo.path)
    assert key is not None
    # Rewrite an old entry and recompute the unkeyed chain up to the recorded head.
    with demo.sessions() as s, s.begin():
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        for e in entries:
            e.prev_hash, e.entry_hash = f"{e.id:064d}", f"{e.id + 1000:064d}"
        s.flush()
        entries[1].details = {"role": "head"}
        prev = audit.GENESIS
        for e in entries:
            e.prev_hash = prev
            e.entry_hash = audit.entry_hash(e)
            prev = e.entry_hash
    code, output = run_cli("audit", "verify")
    assert code == 1 and _named(output) == key.legacy_id
    assert "audit.key" in output


def test_the_portal_host_gets_no_audit_key(
    demo: DemoInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portal writes no audit entry: its folder (adal.json, portal.key) stays as copied."""
    portal_folder = tmp_path / "portal-instance"
    portal_folder.mkdir(mode=0o700)
    for name in ("adal.json", "portal.key"):
        shutil.copy2(demo.path / name, portal_folder / name)
    monkeypatch.setenv("ADAL_INSTANCE", str(portal_folder))
    app = create_portal()
    app.test_client().get("/")
    assert sorted(p.name for p in portal_folder.iterdir()) == ["adal.json", "portal.key"]
    app.extensions["adal.engine"].dispose()
