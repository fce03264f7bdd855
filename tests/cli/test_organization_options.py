"""`adal init` makes the first organization, `adal user add --org` puts a user in one (issue 13)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from crypto import keys as ckeys
from installation import instance as inst
from store.db import make_engine, session_factory
from store.models import Organization, RecipientKey, User
from tests.support.instance import TEST_KDF, DemoInstance, run_cli
from tests.support.orgs import make_org


def test_init_creates_the_first_organization_and_prints_its_recovery_key(env: Path) -> None:
    code, output = run_cli(
        "init", *TEST_KDF, "--org-slug", "akimat", "--org-name-ru", "Акимат города"
    )
    assert code == 0, output
    assert "Organization: akimat" in output
    printed = next(line.strip() for line in output.splitlines() if "ADAL-RECOVERY" in line)
    engine = make_engine(inst.load(env).database_url)
    try:
        with session_factory(engine)() as s:
            org = s.scalars(select(Organization)).one()
            assert (org.slug, org.name_ru, org.parent_id) == ("akimat", "Акимат города", None)
            assert org.name_kk and org.name_en  # the defaults
            recovery = s.scalars(select(RecipientKey)).one()
            assert recovery.purpose == "recovery" and recovery.org_id == org.id
    finally:
        engine.dispose()
    public = ckeys.parse_recovery_key(printed).public_key
    assert ckeys.key_id(public) == recovery.key_id == inst.load(env).recovery_key_id


def test_init_refuses_a_bad_slug_and_writes_nothing(env: Path) -> None:
    code, output = run_cli("init", *TEST_KDF, "--org-slug", "Not A Slug")
    assert code != 0 and "slug" in output
    assert not inst.is_initialised(env)


def test_demo_users_are_in_the_demo_organization(demo: DemoInstance) -> None:
    with demo.sessions() as s:
        org = s.scalars(select(Organization)).one()
        assert org.slug == "demo"
        assert {u.org_id for u in s.scalars(select(User))} == {org.id}
        assert {k.org_id for k in s.scalars(select(RecipientKey))} == {org.id}


def test_user_add_names_the_organization_when_there_are_several(demo: DemoInstance) -> None:
    code, output = run_cli("user", "add", "--role", "handler", "one-org-handler")
    assert code == 0 and "in demo" in output  # a tree of one needs no --org
    make_org(demo, "second", "second")
    code, output = run_cli("user", "add", "--role", "handler", "unsure-handler")
    assert code != 0 and "--org" in output
    code, output = run_cli("user", "add", "--role", "handler", "--org", "nowhere", "lost")
    assert code != 0 and "nowhere" in output
    code, output = run_cli("user", "add", "--role", "head", "--org", "second", "second-head2")
    assert code == 0, output
    code, output = run_cli("user", "add", "--role", "operator", "--org", "second", "op1")
    assert code != 0 and "operator" in output
    code, output = run_cli("user", "add", "--role", "operator", "platform-op")
    assert code == 0, output
    with demo.sessions() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        second = s.scalars(select(Organization).where(Organization.slug == "second")).one()
        assert users["second-head2"].org_id == second.id
        assert [k.org_id for k in users["second-head2"].keys] == [second.id]
        assert users["platform-op"].org_id is None and users["platform-op"].keys == []
        assert "unsure-handler" not in users and "op1" not in users


def test_no_user_joins_a_deactivated_organization(demo: DemoInstance) -> None:
    make_org(demo, "closed", "closed")
    with demo.sessions() as s, s.begin():
        s.scalars(select(Organization).where(Organization.slug == "closed")).one().active = False
    code, output = run_cli("user", "add", "--role", "admin", "--org", "closed", "late-admin")
    assert code != 0 and "deactivated" in output
