"""The operations of issue 13 under PostgreSQL's row-level security (installation/
backoffice_role.py): the back office connected as its restricted role still appends to and
verifies each organization's own audit chain, shows a superior body its subordinates' counts,
and lets the operator run the tree, while nothing else crosses organizations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import ProgrammingError

from installation.backoffice_role import grant_backoffice
from tests.support.backoffice import Browser, handler_app, one_time_password, sign_in
from tests.support.instance import DemoInstance, run_cli
from tests.support.needs import POSTGRES_URL
from tests.support.orgs import make_org, operator_account, register_report, signed_in
from tests.support.pgroles import role_url

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="ADAL_TEST_POSTGRES_URL is unset")


@needs_postgres
def test_chains_counts_and_the_operator_under_row_level_security(
    backoffice_role: str, demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = make_org(demo, "ministry", "ministry")
    child = make_org(demo, "committee", "committee", parent_slug="ministry")
    register_report(demo, child, "Committee report facts")
    register_report(demo, parent, "Ministry report facts")
    operator = operator_account(demo)
    grant_backoffice(demo.engine, backoffice_role)
    owner_url = demo.instance.database_url
    monkeypatch.setenv("ADAL_DATABASE_URL", role_url(owner_url, backoffice_role))
    with handler_app({"TESTING": True}) as app:
        assert app.extensions["adal.engine"].url.username == backoffice_role
        # Sign-ins append to each organization's own chain; each auditor's check reads it alone.
        for org in (parent, child):
            auditor = signed_in(app, demo, org.accounts["auditor"])
            assert "Intact" in auditor.get("/audit/verify").get_data(as_text=True)
        head = signed_in(app, demo, parent.accounts["head"])
        page = head.get("/statistics/subordinates").get_data(as_text=True)
        row = re.search(r"committee body</th>\s*<td>([^<]+)</td>", page)
        assert row and row.group(1) == "fewer than 3", page[:4000]  # one report (p7, p14)
        assert "facts" not in page
        # The committee has nothing below it; the ministry is above, not below.
        below = signed_in(app, demo, child.accounts["head"]).get("/statistics/subordinates")
        assert "There are no organizations below yours." in below.get_data(as_text=True)

        op = sign_in(Browser(app), demo, operator.username, operator.password, operator.totp_secret)
        created = op.post(
            "/operator/new",
            {
                "slug": "agency",
                "name_kk": "Агенттік",
                "name_ru": "Агентство",
                "name_en": "Agency",
                "short_names": "",
                "parent": "ministry",
            },
        )
        assert created.status_code == 200 and "ADAL-RECOVERY-1-" in created.get_data(as_text=True)
        admin = op.post("/operator/agency/admin", {"username": "agency-admin", "full_name": "A"})
        assert admin.status_code == 200 and one_time_password(admin.get_data(as_text=True))
        day = {"day": "2027-11-01", "kind": "day_off", "note": "Decree"}
        assert op.post("/admin/calendar", day).status_code == 303
    # Every chain, read by the owner, still verifies.
    monkeypatch.setenv("ADAL_DATABASE_URL", owner_url)
    code, output = run_cli("audit", "verify")
    assert code == 0, output


@needs_postgres
def test_the_tree_and_the_calendar_are_written_only_in_the_platform_scope(
    backoffice_role: str, demo: DemoInstance
) -> None:
    """An organization's scope reads the tree, the national calendar and the worker's state but
    writes none of them (it could otherwise move itself under another body, or shift every
    organization's deadlines); the platform scope (the operator) still writes them."""
    make_org(demo, "ministry", "ministry")
    grant_backoffice(demo.engine, backoffice_role)
    with demo.engine.begin() as conn:
        conn.execute(text("INSERT INTO notify_state (key, value) VALUES ('probe', '{}')"))
        org_id = conn.execute(text("SELECT id FROM organizations WHERE slug = 'demo'")).scalar()
    engine = create_engine(role_url(demo.instance.database_url, backoffice_role))

    @contextmanager
    def scoped(scope: str, org: str) -> Iterator[Connection]:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT set_config('adal.scope', :s, true), set_config('adal.org_id', :o, true)"
                ),
                {"s": scope, "o": org},
            )
            yield conn

    updates = {
        "organizations": "UPDATE organizations SET active = false",
        "calendar_days": "DELETE FROM calendar_days",
        "notify_state": "UPDATE notify_state SET value = '{\"x\": 1}'",
    }
    inserts = {
        "organizations": "INSERT INTO organizations (slug, name_kk, name_ru, name_en, short_names,"
        " search_text, path, active, created_on)"
        " VALUES ('rogue', 'r', 'r', 'r', '', 'r', '/', true, '2030-01-01')",
        "calendar_days": "INSERT INTO calendar_days (day, kind, note) "
        "VALUES ('2031-01-02', 'day_off', 'x')",
        "notify_state": "INSERT INTO notify_state (key, value) VALUES ('rogue', '{}')",
    }
    with demo.engine.begin() as conn:
        conn.execute(text(inserts["calendar_days"].replace("2031-01-02", "2031-01-03")))
    for table, sql in updates.items():
        with scoped("org", str(org_id)) as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() > 0, table
            assert conn.execute(text(sql)).rowcount == 0, table
    for sql in inserts.values():
        with (
            pytest.raises(ProgrammingError, match="row-level security"),
            scoped("org", str(org_id)) as conn,
        ):
            conn.execute(text(sql))
    # The platform scope (the operator's requests) still writes them.
    with scoped("platform", "") as conn:
        for table, sql in updates.items():
            assert conn.execute(text(sql)).rowcount > 0, table
    engine.dispose()


@needs_postgres
def test_a_session_that_named_no_scope_sees_nothing(
    backoffice_role: str, demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: the back office's session outside a request, or in a request before the
    gate or a view has named a scope, reads no row of any organization; the login still works
    (it names the platform's scope on purpose) and a signed-in user reads their own."""
    from sqlalchemy import func, select

    from store.models import User
    from web import extensions

    grant_backoffice(demo.engine, backoffice_role)
    monkeypatch.setenv("ADAL_DATABASE_URL", role_url(demo.instance.database_url, backoffice_role))
    with handler_app({"TESTING": True}) as app:
        with app.app_context(), extensions.sessions()() as session:
            assert session.scalar(select(func.count()).select_from(User)) == 0
        with app.test_request_context("/"):
            app.preprocess_request()
            with extensions.sessions()() as session:
                assert session.scalar(select(func.count()).select_from(User)) == 0
        creds = demo.credentials()["admin"]
        admin = sign_in(
            Browser(app), demo, creds["username"], creds["password"], creds["totp secret"]
        )
        assert creds["username"] in admin.get("/admin/users").get_data(as_text=True)


@needs_postgres
def test_a_username_taken_in_another_organization_is_refused_under_row_level_security(
    backoffice_role: str, demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another organization's users are invisible to the restricted role, so only the unique
    index finds the name taken: the admin gets the form's refusal (no 500), the refusal costs
    the request nothing else, and the next name goes through."""
    ministry = make_org(demo, "ministry", "ministry")
    committee = make_org(demo, "committee", "committee")
    taken = ministry.accounts["handler"].username
    grant_backoffice(demo.engine, backoffice_role)
    monkeypatch.setenv("ADAL_DATABASE_URL", role_url(demo.instance.database_url, backoffice_role))
    with handler_app({"TESTING": True}) as app:
        admin = signed_in(app, demo, committee.accounts["admin"])
        refused = admin.post(
            "/admin/users/new", {"username": taken, "full_name": "Twin", "role": "handler"}
        )
        assert refused.status_code == 400
        assert "That username is taken." in refused.get_data(as_text=True)
        made = admin.post(
            "/admin/users/new", {"username": "committee-new", "full_name": "New", "role": "handler"}
        )
        assert made.status_code == 200 and one_time_password(made.get_data(as_text=True))
    monkeypatch.setenv("ADAL_DATABASE_URL", demo.instance.database_url)
    with demo.sessions() as s:
        rows = s.execute(text("SELECT org_id FROM users WHERE username = :u"), {"u": taken}).all()
        assert rows == [(ministry.id,)]
        assert s.execute(text("SELECT 1 FROM users WHERE username = 'committee-new'")).first()
