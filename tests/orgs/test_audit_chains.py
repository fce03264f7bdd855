"""Issue 13, "Audit": every organization's trail is a chain of its own, verified on its own.

Entries link to the previous entry of the same organization (NULL: the platform's chain), from
a genesis per chain; organization 1 keeps the chain installations had before organizations.
`adal audit verify` checks them all, `--org SLUG` one, and the anchor records each chain's tail.
"""

from __future__ import annotations

import itertools
import re
import threading

import pytest
from sqlalchemy import select, text

from store import audit
from store.db import transaction
from store.models import AuditEntry, Organization
from tests.support.instance import DemoInstance, run_cli
from tests.support.needs import POSTGRES_PASS

# SQLite has one writer at a time: two open write transactions cannot exist there to race.
needs_postgres = pytest.mark.skipif(not POSTGRES_PASS, reason="ADAL_TEST_POSTGRES_URL is unset")


def _org(demo: DemoInstance, slug: str) -> int:
    code, output = run_cli(
        "org", "add", slug, "--name-kk", slug, "--name-ru", slug, "--name-en", slug
    )
    assert code == 0, output
    with demo.sessions() as s:
        return s.scalars(select(Organization.id).where(Organization.slug == slug)).one()


def _first_org(demo: DemoInstance) -> tuple[int, str]:
    with demo.sessions() as s:
        org = s.scalars(select(Organization).order_by(Organization.id)).first()
        assert org is not None
        return org.id, org.slug


def _append(demo: DemoInstance, org_id: int | None, n: int = 1, action: str = "case.open") -> None:
    with transaction(demo.sessions) as s:
        for i in range(n):
            audit.append(s, action, actor="tester", org_id=org_id, target=f"t{i}")


def _tail_hash(demo: DemoInstance, org_id: int | None) -> str:
    chain = _chain(demo, org_id)
    return chain[-1].entry_hash if chain else audit.genesis(org_id)


def _chain(demo: DemoInstance, org_id: int | None) -> list[AuditEntry]:
    with demo.sessions() as s:
        return list(
            s.scalars(select(AuditEntry).where(audit.in_chain(org_id)).order_by(AuditEntry.id))
        )


def test_each_organization_links_only_to_its_own_entries(demo: DemoInstance) -> None:
    first, _slug = _first_org(demo)
    second = _org(demo, "second")
    _append(demo, second, 3)
    _append(demo, first, 2)
    _append(demo, second, 1)
    assert audit.genesis(1) == audit.GENESIS
    for org_id in (None, first, second):
        chain = _chain(demo, org_id)
        assert chain, org_id
        # The first entry starts from the chain's own genesis, each next one from its
        # predecessor in the same chain, whatever was written in between elsewhere.
        assert chain[0].prev_hash == audit.genesis(org_id)
        for before, after in itertools.pairwise(chain):
            assert after.prev_hash == before.entry_hash
    assert len({audit.genesis(o) for o in (None, 1, 2, 3)}) == 4
    code, output = run_cli("audit", "verify")
    assert code == 0, output
    assert "organization second: 4 entries" in output
    lines = (demo.path / audit.ANCHOR_NAME).read_text().splitlines()
    tails = {line.split()[2] for line in lines if len(line.split()) == 3}
    assert {"-", str(first), str(second)} <= tails


def test_one_chain_verifies_alone_and_a_break_is_named_in_its_chain(demo: DemoInstance) -> None:
    _first, slug = _first_org(demo)
    second = _org(demo, "second")
    _append(demo, second, 3)
    victim = _chain(demo, second)[1].id
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone' WHERE id = :id"), {"id": victim})
    code, output = run_cli("audit", "verify", "--org", slug)
    assert code == 0, output
    assert f"organization {slug}" in output and "Only this organization's chain" in output
    code, output = run_cli("audit", "verify", "--org", "second")
    assert code == 1
    assert re.search(rf"FAILED at entry {victim} \(organization second\)", output), output
    code, output = run_cli("audit", "verify")
    assert code == 1 and f"FAILED at entry {victim}" in output
    assert run_cli("audit", "verify", "--org", "nowhere")[0] != 0


def test_an_entry_moved_to_another_chain_breaks_both(demo: DemoInstance) -> None:
    first, _slug = _first_org(demo)
    second = _org(demo, "second")
    _append(demo, second, 2)
    _append(demo, first, 2)
    moved = _chain(demo, second)[0]
    with demo.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET org_id = :o WHERE id = :id"), {"o": first, "id": moved.id}
        )
    with demo.sessions() as s:
        results = {r.org_id: r for r in audit.verify_all(s)}
    assert not results[second].ok and not results[first].ok
    assert results[first].broken_id == moved.id


def test_deleting_a_chains_newest_entry_is_found_by_its_anchor(demo: DemoInstance) -> None:
    second = _org(demo, "second")
    _append(demo, second, 2)
    newest = _chain(demo, second)[-1].id
    with demo.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": newest})
    code, output = run_cli("audit", "verify", "--org", "second")
    assert code == 1 and f"FAILED at entry {newest}" in output and "missing" in output


def test_old_anchor_lines_anchor_organization_one(demo: DemoInstance) -> None:
    """An anchor file written before organizations has lines without a chain: they stand for
    the old single chain, which is organization 1's."""
    first, _slug = _first_org(demo)
    assert first == audit.LEGACY_ORG
    anchor = demo.path / audit.ANCHOR_NAME
    chain = _chain(demo, first)
    others = [
        line
        for line in anchor.read_text().splitlines(keepends=True)
        if line.split()[2:] != [str(first)]
    ]
    anchor.write_text("".join(f"{e.id} {e.entry_hash}\n" for e in chain) + "".join(others))
    assert run_cli("audit", "verify")[0] == 0
    with demo.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": chain[-1].id})
    code, output = run_cli("audit", "verify")
    assert code == 1 and f"FAILED at entry {chain[-1].id}" in output


def test_appends_in_two_organizations_do_not_share_a_predecessor(demo: DemoInstance) -> None:
    """In one transaction, as in two: the second organization's entry follows its own chain,
    not the entry just written for the first."""
    first, _slug = _first_org(demo)
    second = _org(demo, "second")
    before = _tail_hash(demo, second)
    with transaction(demo.sessions) as s:
        a = audit.append(s, "case.open", actor="x", org_id=first)
        b = audit.append(s, "case.open", actor="x", org_id=second)
        assert b.prev_hash == before != a.entry_hash
    assert run_cli("audit", "verify")[0] == 0


@needs_postgres
def test_concurrent_appends_in_different_organizations_do_not_conflict(
    demo: DemoInstance,
) -> None:
    """Two transactions open at once, one per organization: neither waits for nor retries on
    the other (in one organization they would meet on the unique prev_hash and one retries)."""
    assert POSTGRES_PASS
    first, _slug = _first_org(demo)
    second = _org(demo, "second")
    written = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []
    prevs: dict[int, str] = {}

    def writer(org_id: int) -> None:
        try:
            with transaction(demo.sessions) as s:
                entry = audit.append(s, "case.open", actor="x", org_id=org_id)
                s.flush()
                prevs[org_id] = entry.prev_hash
                written.wait()  # both rows are written, neither committed
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    tails = {o: _tail_hash(demo, o) for o in (first, second)}
    threads = [threading.Thread(target=writer, args=(o,)) for o in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    # Each took its own chain's tail at the first attempt.
    assert prevs == tails
    assert run_cli("audit", "verify")[0] == 0


def test_the_auditors_check_reads_only_their_chain(demo: DemoInstance) -> None:
    first, _slug = _first_org(demo)
    second = _org(demo, "second")
    _append(demo, second, 2)
    victim = _chain(demo, second)[0].id
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'x' WHERE id = :id"), {"id": victim})
    with demo.sessions() as s:
        key = audit.key_of(s)
        mine = audit.verify_chain(s, first, demo.path / audit.ANCHOR_NAME, key)
        theirs = audit.verify_chain(s, second, demo.path / audit.ANCHOR_NAME, key)
    assert mine.ok and mine.org_id == first
    assert not theirs.ok and theirs.broken_id == victim
