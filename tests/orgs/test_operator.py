"""The operator in the back office (issue 13): the tree, a new organization and its recovery
key (shown once), renaming, moving, deactivating, each organization's first admin, and the
national calendar; and nothing else: no case, report, staff list, statistics or audit trail of
any organization, while no other role reaches the operator's pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from crypto import keys as ckeys
from store.models import AuditEntry, CalendarDay, Organization, RecipientKey, User
from tests.support.backoffice import (
    Browser,
    first_sign_in,
    one_time_password,
    store_portal_report,
)
from tests.support.instance import DemoInstance, run_cli
from tests.support.orgs import NEW_ORGANIZATION_FORM

NEW = {**NEW_ORGANIZATION_FORM, "short_names": "Акимат Астаны\nӘкімдік"}
RECOVERY = re.compile(r"ADAL-RECOVERY-1-[A-Z0-9-]+")


def _create(operator: Browser, **changes: str) -> str:
    response = operator.post("/operator/new", {**NEW, **changes})
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    found = RECOVERY.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:3000]
    return found.group(0)


def _org(demo: DemoInstance, slug: str) -> Organization:
    with demo.sessions() as s:
        return s.scalars(select(Organization).where(Organization.slug == slug)).one()


def test_the_operator_creates_an_organization_and_sees_its_key_once(
    demo: DemoInstance, operator: Browser
) -> None:
    assert "Add an organization" in operator.get("/operator").get_data(as_text=True)
    key = _create(operator)
    org = _org(demo, "akimat-astana")
    assert org.name_ru == NEW["name_ru"] and org.short_names == NEW["short_names"]
    with demo.sessions() as s:
        stored = s.scalars(
            select(RecipientKey).where(
                RecipientKey.org_id == org.id, RecipientKey.purpose == "recovery"
            )
        ).one()
        entries = list(
            s.scalars(
                select(AuditEntry).where(
                    AuditEntry.org_id.is_(None), AuditEntry.action.startswith("organization.")
                )
            )
        )
    assert bytes(ckeys.parse_recovery_key(key).public_key) == stored.public_key
    assert [(e.action, e.target, e.actor) for e in entries] == [
        ("organization.create", "akimat-astana", "platform-operator")
    ]
    # Never again: not on the tree, not on the organization's page, nowhere on disk.
    for path in ("/operator", "/operator/akimat-astana"):
        page = operator.get(path).get_data(as_text=True)
        assert "Akimat of Astana" in page and key not in page
    body = key.split("ADAL-RECOVERY-1-", 1)[1].encode()
    for path in demo.path.rglob("*"):
        if path.is_file():
            assert body not in path.read_bytes(), path


def test_a_child_organization_then_rename_move_deactivate(
    demo: DemoInstance, operator: Browser
) -> None:
    _create(operator)
    _create(operator, slug="akimat-district", name_en="District akimat", parent="akimat-astana")
    parent, child = _org(demo, "akimat-astana"), _org(demo, "akimat-district")
    assert child.parent_id == parent.id
    # The tree opens one level at a time: the child is in its parent's branch.
    page = operator.get("/operator").get_data(as_text=True)
    assert "Akimat of Astana" in page and "District akimat" not in page
    assert 'href="/operator?under=akimat-astana"' in page
    branch = operator.get("/operator?under=akimat-astana").get_data(as_text=True)
    assert branch.index("Akimat of Astana") < branch.index("District akimat")

    renamed = {**NEW, "name_ru": "Акимат столицы"}
    del renamed["slug"], renamed["parent"]
    assert operator.post("/operator/akimat-district/rename", renamed).status_code == 303
    assert _org(demo, "akimat-district").name_ru == "Акимат столицы"
    # A cycle is refused with a clear message and changes nothing.
    response = operator.post("/operator/akimat-astana/move", {"parent": "akimat-district"})
    assert response.status_code == 400
    assert _org(demo, "akimat-astana").parent_id is None
    assert operator.post("/operator/akimat-district/move", {"parent": ""}).status_code == 303
    assert _org(demo, "akimat-district").parent_id is None
    assert operator.post("/operator/akimat-district/deactivate", {}).status_code == 303
    assert not _org(demo, "akimat-district").active
    with demo.sessions() as s:
        actions = [
            (e.action, e.target)
            for e in s.scalars(
                select(AuditEntry)
                .where(AuditEntry.org_id.is_(None), AuditEntry.action.startswith("organization."))
                .order_by(AuditEntry.id)
            )
        ]
    assert actions == [
        ("organization.create", "akimat-astana"),
        ("organization.create", "akimat-district"),
        ("organization.rename", "akimat-district"),
        ("organization.move", "akimat-district"),
        ("organization.deactivate", "akimat-district"),
    ]
    assert run_cli("audit", "verify")[0] == 0


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"slug": "Bad Slug"}, "address name is 1-63"),
        ({"slug": "akimat-astana"}, "already exists"),
        ({"name_kk": ""}, "This field is required"),
        ({"name_en": "see https://example.kz"}, "no web or mail address"),
        ({"slug": "other", "parent": "nowhere"}, "No organization has this address name."),
    ],
)
def test_bad_input_is_a_clear_message(
    demo: DemoInstance, operator: Browser, changes: dict[str, str], words: str
) -> None:
    _create(operator)
    response = operator.post("/operator/new", {**NEW, **changes})
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    with demo.sessions() as s:
        assert len(s.scalars(select(Organization)).all()) == 2  # the demo one and the first


def test_unknown_organizations_are_404(operator: Browser) -> None:
    for path in ("/operator/nowhere", "/operator/Bad%20Slug", "/operator/" + "a" * 300):
        assert operator.get(path).status_code == 404
    assert operator.post("/operator/nowhere/deactivate", {}).status_code == 404


def test_the_first_admin_signs_in_to_their_organization(
    app: Flask, demo: DemoInstance, operator: Browser
) -> None:
    _create(operator)
    page = operator.get("/operator/akimat-astana").get_data(as_text=True)
    assert "First administrator" in page
    response = operator.post(
        "/operator/akimat-astana/admin", {"username": "astana-admin", "full_name": "Айгүл Admin"}
    )
    assert response.status_code == 200
    password = one_time_password(response.get_data(as_text=True))
    org = _org(demo, "akimat-astana")
    with demo.sessions() as s:
        user = s.scalars(select(User).where(User.username == "astana-admin")).one()
        assert (user.role, user.org_id) == ("admin", org.id)
        assert user.wrapped_key is None  # an admin holds no key
        created = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "user.create", AuditEntry.org_id == org.id
            )
        ).one()
        assert created.target == "astana-admin" and created.actor == "platform-operator"
    # One admin only: the organization's admin adds the rest.
    assert "First administrator" not in operator.get("/operator/akimat-astana").get_data(
        as_text=True
    )
    again = operator.post(
        "/operator/akimat-astana/admin", {"username": "second-admin", "full_name": "X"}
    )
    assert again.status_code == 409
    admin = first_sign_in(
        Browser(app), "astana-admin", password, "astana-admin-password-1", "/admin/users"
    )
    assert admin.get("/operator").status_code == 403


def test_a_taken_username_is_a_clear_message(demo: DemoInstance, operator: Browser) -> None:
    _create(operator)
    taken = demo.credentials()["admin"]["username"]
    response = operator.post("/operator/akimat-astana/admin", {"username": taken, "full_name": "X"})
    assert response.status_code == 400
    assert "That username is taken." in response.get_data(as_text=True)


def test_no_other_role_reaches_the_operators_pages(
    demo: DemoInstance, as_role: Callable[[str], Browser], operator: Browser
) -> None:
    _create(operator)
    for role in ("handler", "head", "admin", "auditor"):
        browser = as_role(role)
        for path in ("/operator", "/operator/new", "/operator/akimat-astana"):
            assert browser.get(path).status_code == 403, (role, path)
        for path in (
            "/operator/new",
            "/operator/akimat-astana/rename",
            "/operator/akimat-astana/move",
            "/operator/akimat-astana/deactivate",
            "/operator/akimat-astana/admin",
        ):
            assert browser.post(path, {**NEW, "username": "x", "full_name": "x"}).status_code == (
                403
            ), (role, path)
    assert _org(demo, "akimat-astana").active


def test_the_operator_reaches_nothing_inside_an_organization(
    demo: DemoInstance, operator: Browser
) -> None:
    sid = store_portal_report(demo).submission_id
    with demo.sessions() as s:
        user_id = s.scalars(select(User.id).order_by(User.id)).first()
    for path in (
        "/inbox",
        f"/cases/{sid}",
        "/deadlines",
        "/statistics",
        "/statistics/subordinates",
        "/journal",
        "/admin/users",
        f"/admin/users/{user_id}",
        "/admin/users/new",
        "/admin/settings",
        "/audit",
        "/audit/verify",
        "/register",
        "/search?q=bribe",
        "/head-keys",
        "/handover",
    ):
        response = operator.get(path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "bribe" not in response.get_data(as_text=True)
    home = operator.get("/")
    assert home.headers["Location"] == "/operator"


def test_the_calendar_is_the_operators(
    demo: DemoInstance, as_role: Callable[[str], Browser], operator: Browser
) -> None:
    day = date(2027, 11, 1)  # a Monday, a working day
    data = {"day": day.isoformat(), "kind": "day_off", "note": "Decree"}
    admin = as_role("admin")
    assert admin.post("/admin/calendar", data).status_code == 403
    assert operator.post("/admin/calendar", data).status_code == 303
    with demo.sessions() as s:
        assert s.scalars(select(CalendarDay.day)).all() == [day]
    # The admin still reads it, without the forms.
    page = admin.get(f"/admin/calendar?year={day.year}").get_data(as_text=True)
    assert "Decree" in page and 'action="/admin/calendar"' not in page
    assert admin.post("/admin/calendar/remove", {"day": day.isoformat()}).status_code == 403
    assert operator.post("/admin/calendar/remove", {"day": day.isoformat()}).status_code == 303
    for role in ("handler", "head", "auditor"):
        assert as_role(role).get("/admin/calendar").status_code == 403


def test_the_operator_crawl_reaches_only_its_pages(
    app: Flask, demo: DemoInstance, operator: Browser
) -> None:
    """Every route, every method, with a real case id: the operator passes the role check only
    on its own pages, the calendar and its own account's; everything else is 403."""
    sid = store_portal_report(demo, facts="Secret facts 9c1e").submission_id
    own = {"operator", "calendar"}
    account = {"auth.password", "auth.logout", "inbox.home"}
    with app.test_request_context(base_url="https://backoffice.example"):
        rules = [
            (rule, url_for(rule.endpoint, **{n: _fill(rule, n, sid) for n in rule.arguments}))
            for rule in app.url_map.iter_rules()
            if rule.endpoint not in ("static", "set_language", "auth.login")
        ]
    checked = 0
    for rule, url in rules:
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS", "PUT", "PATCH"}):
            if rule.endpoint == "auth.logout":
                continue
            response = operator.request(method, url)
            body = response.get_data(as_text=True)
            assert "9c1e" not in body, (rule.endpoint, method)
            if rule.endpoint.split(".")[0] in own or rule.endpoint in account:
                assert response.status_code != 403, (rule.endpoint, method)
            else:
                assert response.status_code == 403, (rule.endpoint, method, response.status_code)
            checked += 1
    assert checked > 50


def _fill(rule: object, name: str, sid: str) -> str | int:
    converters = getattr(rule, "_converters", {})
    if isinstance(converters.get(name), IntegerConverter):
        return 1
    return sid if name == "submission_id" else "0" * 32


def test_a_moved_or_renamed_organization_sees_it_in_its_own_audit_trail(
    demo: DemoInstance, operator: Browser, as_role: Callable[[str], Browser]
) -> None:
    """A move redirects an organization's reports to the superior body: the organization and
    its old and new parents each see it in their own chain, by slug, and every chain verifies."""
    _create(operator)
    assert operator.post("/operator/akimat-astana/move", {"parent": "demo"}).status_code == 303
    assert operator.post("/operator/akimat-astana/move", {"parent": ""}).status_code == 303
    renamed = {k: v for k, v in NEW.items() if k not in ("slug", "parent")}
    assert operator.post("/operator/demo/rename", renamed).status_code == 303
    moved = _org(demo, "akimat-astana")
    with demo.sessions() as s:
        own = [
            (e.action, e.target, e.details)
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.org_id == moved.id).order_by(AuditEntry.id)
            )
        ]
    assert own == [
        ("organization.move", "akimat-astana", {"parent": "demo"}),
        ("organization.move", "akimat-astana", {"parent": None}),
    ]
    page = as_role("auditor").get("/audit").get_data(as_text=True)
    # Moved in and out again: both moves reach the demo organization's auditor, and its rename.
    assert page.count("organization.move") == 2 and page.count("akimat-astana") == 2
    assert "organization.rename" in page
    assert run_cli("audit", "verify")[0] == 0
