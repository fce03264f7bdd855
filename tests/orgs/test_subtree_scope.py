"""A superior body's counts under PostgreSQL's row-level security: the two counting queries run
in the `subtree` scope (handler/org_scope.subtree, installation/backoffice_role.py), which reads
the list rows of exactly the organizations below the user's own and nothing else, writes
nothing, and ends with the counts: the rest of the request is the user's own scope again.

The tree: government > ministry (the head signed in) > committee, agency; government > sibling.
Each of them has reports, so any leak shows up as a count or a visible row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import ColumnElement, Connection, create_engine, text, true
from sqlalchemy.exc import DBAPIError, ProgrammingError

from cases import scope
from handler import org_scope
from installation.backoffice_role import SUBTREE_READS, grant_backoffice
from tests.support.backoffice import handler_app
from tests.support.instance import DemoInstance, run_cli
from tests.support.needs import POSTGRES_URL
from tests.support.orgs import Org, add_account, make_org, register_report, signed_in
from tests.support.pgroles import role_url
from web.database import db

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="ADAL_TEST_POSTGRES_URL is unset")
PAGE = "/statistics/subordinates"
# Tables a bug in the counts' request must not read: report content and its keys, people, the
# audit trail, settings, and the tables that carry no organization at all.
SENSITIVE = (
    "submissions",
    "cases",
    "messages",
    "attachments",
    "notes",
    "case_events",
    "protections",
    "recipient_keys",
    "users",
    "audit_log",
    "settings",
    "envelopes",
    "grants",
    "file_chunks",
    "mailboxes",
    "web_sessions",
    "calendar_days",
)


@dataclass
class Tree:
    government: Org
    ministry: Org
    committee: Org
    agency: Org
    sibling: Org

    def below(self) -> set[int]:
        return {self.committee.id, self.agency.id}


@pytest.fixture
def tree(backoffice_role: str, demo: DemoInstance) -> Tree:
    made = Tree(
        government=make_org(demo, "government", "government"),
        ministry=make_org(demo, "ministry", "ministry", parent_slug="government"),
        committee=make_org(demo, "committee", "committee", parent_slug="ministry"),
        agency=make_org(demo, "agency", "agency", parent_slug="ministry"),
        sibling=make_org(demo, "sibling", "sibling", parent_slug="government"),
    )
    for org, n in (
        (made.committee, 3),
        (made.agency, 1),
        (made.ministry, 1),
        (made.sibling, 2),
        (made.government, 1),
    ):
        for i in range(n):
            register_report(demo, org, f"{org.slug} facts {i}")
    grant_backoffice(demo.engine, backoffice_role)
    return made


@pytest.fixture
def restricted(backoffice_role: str, demo: DemoInstance, monkeypatch: pytest.MonkeyPatch) -> None:
    """The back office connects as its row-level security role."""
    monkeypatch.setenv("ADAL_DATABASE_URL", role_url(demo.instance.database_url, backoffice_role))


def _cells(page: str, org: Org) -> list[str]:
    found = re.search(rf"{org.slug} body</th>(.*?)</tr>", page, re.S)
    assert found, page[:5000]
    return re.findall(r"<td>(.*?)</td>", found.group(1), re.S)


def _assert_counts(page: str, tree: Tree) -> None:
    assert _cells(page, tree.committee)[0] == "3"
    assert _cells(page, tree.agency)[0] == "fewer than 3"
    for other in (tree.sibling, tree.government, tree.ministry):
        assert f"{other.slug} body</th>" not in page
    assert "facts" not in page


@contextmanager
def _app() -> Iterator[Flask]:
    with handler_app({"TESTING": True}) as app:
        yield app


def test_the_counts_of_the_subtree_and_then_the_users_own_scope(
    tree: Tree, demo: DemoInstance, restricted: None
) -> None:
    """(a) the head of the ministry sees its two subordinates' counts and no sibling's or
    parent's; (d) what renders after the counts (every context processor, the templates) runs
    in the head's own organization's scope, not across organizations."""
    with demo.sessions() as s, s.begin():
        add_account(s, demo, "ministry-second-head", "head", tree.ministry.id)
    seen: list[dict[str, Any]] = []
    with _app() as app:

        @app.context_processor
        def _probe() -> dict[str, object]:
            if request.endpoint == "subordinates.page":
                session = db()
                setting = session.execute(
                    text(
                        "SELECT current_setting('adal.scope', true), "
                        "current_setting('adal.org_id', true)"
                    )
                ).one()
                seen.append(
                    {
                        "scope": tuple(setting),
                        "lists": set(
                            session.scalars(text("SELECT DISTINCT org_id FROM case_lists"))
                        ),
                        "users": set(session.scalars(text("SELECT DISTINCT org_id FROM users"))),
                    }
                )
            return {}

        head = signed_in(app, demo, tree.ministry.accounts["head"])
        response = head.get(PAGE)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        _assert_counts(page, tree)
        assert seen, "the probe did not run"
        mine = tree.ministry.id
        assert seen[0] == {"scope": ("org", str(mine)), "lists": {mine}, "users": {mine}}
        # The head's own notice (handler/custody.py) renders after the counts, in that scope.
        assert "Head keys awaiting approval: 1." in page


def _no_filter_probing(seen: list[dict[str, Any]]) -> Any:
    """cases.scope.in_orgs taken out (as the isolation crawl does), and in its place, at the
    very point the counting queries are built, what a query that forgot its filter could read
    and write."""

    def probe(_column: object, _orgs: object) -> ColumnElement[bool]:
        session = db()
        found: dict[str, Any] = {
            "lists": set(session.scalars(text("SELECT DISTINCT org_id FROM case_lists"))),
            "deadlines": set(session.scalars(text("SELECT DISTINCT org_id FROM list_deadlines"))),
            "organizations": set(session.scalars(text("SELECT id FROM organizations"))),
        }
        for table in SENSITIVE:
            found[table] = session.scalar(text(f"SELECT count(*) FROM {table}"))
        for name, sql in {
            "update": "UPDATE case_lists SET status = status",
            "delete": "DELETE FROM list_deadlines",
            "insert": "INSERT INTO calendar_days (day, kind, note) "
            "VALUES ('2031-01-02', 'day_off', 'x')",
        }.items():
            savepoint = session.begin_nested()
            try:
                found[name] = session.execute(text(sql)).rowcount
            except DBAPIError as exc:
                found[name] = "refused" if "row-level security" in str(exc) else str(exc)
            finally:
                savepoint.rollback()
        seen.append(found)
        return true()

    return probe


def test_the_database_alone_keeps_the_counts_to_the_subtree(
    tree: Tree, demo: DemoInstance, restricted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(b) with the application's filter gone the page shows the same counts, and the counting
    queries could have seen only the subtree's list rows; (c) nothing of any other table, and
    no write goes through."""
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(scope, "in_orgs", _no_filter_probing(seen))
    with _app() as app:
        head = signed_in(app, demo, tree.ministry.accounts["head"])
        response = head.get(PAGE)
        assert response.status_code == 200
        _assert_counts(response.get_data(as_text=True), tree)
    assert len(seen) == 2  # the reports' query and the deadlines'
    for found in seen:
        assert found["lists"] == tree.below()
        assert found["deadlines"] == tree.below()
        assert found["organizations"] == tree.below()
        assert {t: found[t] for t in SENSITIVE} == dict.fromkeys(SENSITIVE, 0)
        assert found["update"] == "refused" and found["insert"] == "refused"
        assert found["delete"] == 0


def test_the_subtree_scope_reads_its_list_rows_and_nothing_else(
    tree: Tree, backoffice_role: str, demo: DemoInstance
) -> None:
    """(c) the policies themselves, table by table: in the subtree scope every table of the
    schema but the three the counts read shows no row, those three show only the named
    organizations, and every write is refused or touches nothing; a stale list of ids left in
    another scope widens nothing."""
    with demo.engine.connect() as conn:
        tables = list(
            conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        )
    assert set(SENSITIVE) <= set(tables)
    engine = create_engine(role_url(demo.instance.database_url, backoffice_role))
    ids = ",".join(str(i) for i in sorted(tree.below()))

    @contextmanager
    def scoped(scope_name: str, org: str, org_ids: str) -> Iterator[Connection]:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT set_config('adal.scope', :s, true), set_config('adal.org_id', :o, "
                    "true), set_config('adal.org_ids', :i, true)"
                ),
                {"s": scope_name, "o": org, "i": org_ids},
            )
            yield conn

    try:
        with scoped("subtree", "", ids) as conn:
            for table in tables:
                if table in SUBTREE_READS:
                    column = SUBTREE_READS[table]
                    found = set(conn.scalars(text(f"SELECT DISTINCT {column} FROM {table}")))
                    assert found == tree.below(), table
                else:
                    count = conn.scalar(text(f"SELECT count(*) FROM {table}"))
                    assert count == 0, table
            for table in SUBTREE_READS:
                assert conn.execute(text(f"DELETE FROM {table}")).rowcount == 0, table
        # Even the organization's own id, named alongside the subtree, opens nothing else.
        with scoped("subtree", str(tree.ministry.id), ids) as conn:
            assert conn.scalar(text("SELECT count(*) FROM submissions")) == 0
            found = set(conn.scalars(text("SELECT DISTINCT org_id FROM case_lists")))
            assert found == tree.below()
        for sql in (
            "UPDATE case_lists SET status = status",
            "UPDATE list_deadlines SET outcome = outcome",
            "INSERT INTO case_lists SELECT * FROM case_lists LIMIT 1",
            "INSERT INTO calendar_days (day, kind, note) VALUES ('2031-01-02', 'day_off', 'x')",
        ):
            with (
                pytest.raises(ProgrammingError, match="row-level security"),
                scoped("subtree", "", ids) as conn,
            ):
                conn.execute(text(sql))
        with scoped("subtree", "", ids) as conn:
            assert conn.execute(text("UPDATE organizations SET active = active")).rowcount == 0
        # The ids mean something only in the subtree scope.
        with scoped("org", str(tree.ministry.id), ids) as conn:
            found = set(conn.scalars(text("SELECT DISTINCT org_id FROM case_lists")))
            assert found == {tree.ministry.id}
        with scoped("none", "", ids) as conn:
            assert conn.scalar(text("SELECT count(*) FROM case_lists")) == 0
        with scoped("subtree", "", "") as conn:
            assert conn.scalar(text("SELECT count(*) FROM case_lists")) == 0
            assert conn.scalar(text("SELECT count(*) FROM organizations")) == 0
    finally:
        engine.dispose()


def test_the_upgrade_reinstalls_the_policies_of_a_granted_role(
    backoffice_role: str, demo: DemoInstance
) -> None:
    """An installation granted before the subtree scope existed gets its policies from
    `adal db upgrade`, without which its superior bodies' pages would count nothing."""
    grant_backoffice(demo.engine, backoffice_role)
    policy = f"adal_subtree__{backoffice_role}"

    def installed() -> int:
        with demo.engine.connect() as conn:
            return int(
                conn.scalar(
                    text("SELECT count(*) FROM pg_policies WHERE policyname = :p"), {"p": policy}
                )
                or 0
            )

    before = installed()
    assert before > 20  # one on every table
    with demo.engine.begin() as conn:
        for table in conn.scalars(
            text("SELECT tablename FROM pg_policies WHERE policyname = :p"), {"p": policy}
        ).all():
            conn.execute(text(f'DROP POLICY "{policy}" ON {table}'))
    assert installed() == 0
    code, output = run_cli("db", "upgrade")
    assert code == 0, output
    assert f"Role {backoffice_role}:" in output
    assert installed() == before


def test_a_failed_statement_in_the_subtree_scope_leaves_the_users_scope_after_it(
    tree: Tree, demo: DemoInstance, restricted: None
) -> None:
    """The block's error is the one raised, and the next transaction runs in the scope named
    before the block, not in the subtree's."""
    from store.models import User
    from web import extensions

    with _app() as app, app.test_request_context("/"):
        app.preprocess_request()
        with extensions.sessions()() as session:
            org_scope.widen_to_platform(session)
            head = session.get_one(User, tree.ministry.accounts["head"].user_id)
            org_scope.for_user(session, head)
            with (
                pytest.raises(ProgrammingError, match="row-level security"),
                org_scope.subtree(session, sorted(tree.below())),
            ):
                session.execute(text("UPDATE case_lists SET status = status"))
            session.rollback()
            found = set(session.scalars(text("SELECT DISTINCT org_id FROM case_lists")))
            assert found == {tree.ministry.id}
            with org_scope.subtree(session, sorted(tree.below())):
                found = set(session.scalars(text("SELECT DISTINCT org_id FROM case_lists")))
                assert found == tree.below()
            found = set(session.scalars(text("SELECT DISTINCT org_id FROM case_lists")))
            assert found == {tree.ministry.id}
