from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from store import audit
from store.db import transaction
from store.models import AuditEntry
from tests.support.instance import DemoInstance, demo_org_id


def _fill(demo: DemoInstance, n: int) -> list[int]:
    with transaction(demo.sessions) as s:
        for i in range(n):
            audit.append(
                s,
                "case.open",
                actor="demo-handler",
                target=f"case:{i}",
                details={"n": i, "text": "Қазақша мәтін"},
                org_id=demo_org_id(s),
            )
    with demo.sessions() as s:
        return list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def test_chain_verifies(demo: DemoInstance) -> None:
    ids = _fill(demo, 5)
    with demo.sessions() as s:
        result = audit.verify(s)
    assert result.ok and result.checked == len(ids)


def test_edited_row_is_named(demo: DemoInstance) -> None:
    ids = _fill(demo, 5)
    victim = ids[3]
    with transaction(demo.sessions) as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == victim).values(actor="someone"))
    with demo.sessions() as s:
        result = audit.verify(s)
    assert not result.ok and result.broken_id == victim


def test_edited_time_is_named(demo: DemoInstance) -> None:
    ids = _fill(demo, 3)
    with transaction(demo.sessions) as s:
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.id == ids[1])
            .values(at=datetime.now(UTC) - timedelta(days=3))
        )
    with demo.sessions() as s:
        assert audit.verify(s).broken_id == ids[1]


def test_deleted_row_breaks_the_next(demo: DemoInstance) -> None:
    ids = _fill(demo, 5)
    with transaction(demo.sessions) as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == ids[2]))
    with demo.sessions() as s:
        assert audit.verify(s).broken_id == ids[3]


def test_reordered_rows_are_named(demo: DemoInstance) -> None:
    ids = _fill(demo, 5)
    a, b = ids[1], ids[2]
    with transaction(demo.sessions) as s:
        rows = {r.id: r for r in s.scalars(select(AuditEntry).where(AuditEntry.id.in_([a, b])))}
        fields = ("at", "actor", "action", "target", "details", "prev_hash", "entry_hash")
        va = {f: getattr(rows[a], f) for f in fields}
        vb = {f: getattr(rows[b], f) for f in fields}
        # Swap contents through a placeholder so the unique hash columns never collide.
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.id == a)
            .values(prev_hash="x" * 64, entry_hash="y" * 64)
        )
        s.execute(update(AuditEntry).where(AuditEntry.id == b).values(**va))
        s.execute(update(AuditEntry).where(AuditEntry.id == a).values(**vb))
    with demo.sessions() as s:
        assert audit.verify(s).broken_id == a
