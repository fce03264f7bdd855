"""The lists read their organization's rows through the organization-first indexes (migration
0012), checked on the plans SQLite makes for the queries the use cases really send.

Not a timing: the plan is what decides how a list scales. Before 0012 the statistics looked up
every row of the table through the org_id index and sorted the lot (0.6 s at 100,000 reports,
bench/backoffice.py), and a small organization's inbox walked past every other organization's
rows. A plan that reads a table row by row ("SCAN") or sorts ("TEMP B-TREE") fails here.
PostgreSQL chooses its plans from table statistics, which a test's handful of rows would not
resemble: its figures are the bench's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from cases.lists import InboxFilters, counts, inbox_page, open_deadlines_page
from store.models import RecipientKey, User
from tests.support.instance import DemoInstance, demo_org_id
from tests.support.needs import POSTGRES_PASS
from tests.support.reports import store_report

pytestmark = pytest.mark.skipif(
    POSTGRES_PASS, reason="EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's plans are benched"
)

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # Monday noon in Kazakhstan


@contextmanager
def plans_of(engine: Engine, tables: tuple[str, ...]) -> Iterator[list[str]]:
    """The plan lines of every SELECT on `tables` sent inside the block."""
    sent: list[tuple[str, Any]] = []

    def remember(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and any(t in statement for t in tables):
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", remember)
    lines: list[str] = []
    try:
        yield lines
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    with engine.connect() as conn:
        for statement, params in sent:
            found = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            lines += [row[-1] for row in found]


def _reports(demo: DemoInstance) -> tuple[int, str]:
    with demo.sessions() as s, s.begin():
        for day in range(6):
            store_report(s, NOW - timedelta(days=day), files=0, messages=0)
        org_id = demo_org_id(s)
        key_id = s.scalars(
            select(RecipientKey.key_id)
            .join(User, User.id == RecipientKey.user_id)
            .where(User.role == "handler", RecipientKey.active.is_(True))
        ).first()
        assert key_id is not None
        return org_id, key_id


def _read(demo: DemoInstance, use: Callable[[Any], object]) -> list[str]:
    with plans_of(demo.engine, ("case_lists", "list_deadlines")) as lines, demo.sessions() as s:
        use(s)
    assert lines, "the use case sent no query on the list tables"
    return lines


def _no_scan_no_sort(lines: list[str]) -> None:
    for line in lines:
        assert not line.startswith("SCAN case_lists"), lines
        assert not line.startswith("SCAN list_deadlines"), lines
        assert "TEMP B-TREE" not in line, lines


def test_the_statistics_read_covering_indexes_of_one_organization(demo: DemoInstance) -> None:
    org_id, _key = _reports(demo)
    since = (NOW - timedelta(days=3)).date()
    whole = _read(demo, lambda s: counts(s, NOW, org_ids=[org_id]))
    period = _read(demo, lambda s: counts(s, NOW, since, NOW.date(), org_ids=[org_id]))
    for lines in (whole, period):
        # Read from the index alone, in its order: no table lookup, no sort.
        assert any("COVERING INDEX ix_case_lists_counts (org_id=?" in line for line in lines)
        assert any("COVERING INDEX ix_list_deadlines_counts (org_id=?)" in line for line in lines)
        _no_scan_no_sort(lines)
        assert all("COVERING INDEX" in line for line in lines if line.startswith("SEARCH")), lines
    assert any(
        "ix_case_lists_counts (org_id=? AND received_on>? AND received_on<?)" in line
        for line in period
    ), period
    # A superior body's organizations: the same indexes, one seek per organization.
    several = _read(demo, lambda s: counts(s, NOW, since, NOW.date(), org_ids=[org_id, 999]))
    assert all("COVERING INDEX" in line for line in several if line.startswith("SEARCH")), several
    assert not any(line.startswith("SCAN") for line in several), several


def test_the_inbox_and_the_deadlines_page_seek_into_their_organization(
    demo: DemoInstance,
) -> None:
    org_id, key_id = _reports(demo)
    inbox = _read(demo, lambda s: inbox_page(s, key_id, NOW, InboxFilters(), org_id=org_id))
    assert any("ix_case_lists_closed_received (org_id=? AND closed=?)" in line for line in inbox), (
        inbox
    )
    _no_scan_no_sort(inbox)
    by_deadline = InboxFilters(sort="deadline")
    urgent = _read(demo, lambda s: inbox_page(s, key_id, NOW, by_deadline, org_id=org_id))
    assert any("ix_case_lists_closed_next (org_id=? AND closed=?" in line for line in urgent)
    _no_scan_no_sort(urgent)
    deadlines = _read(demo, lambda s: open_deadlines_page(s, key_id, NOW, org_id=org_id))
    assert any(
        "ix_list_deadlines_open (org_id=? AND listed=? AND outcome=?" in line for line in deadlines
    ), deadlines
    _no_scan_no_sort(deadlines)
