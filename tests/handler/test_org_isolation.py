"""Isolation between organizations (issue 13, "Must show"): staff of one organization reach
nothing of another, by list, by URL or by id; on PostgreSQL the database keeps them apart even
with the application's filter taken out.

The crawl signs in every role of organization "alpha" (and the operator) and requests every
back-office route with every method, filling each id in the URL with an id of organization
"beta" (its case, file, user, protection matter, disclosure record, head key, a second case to
link): every such request is refused (403/404), every page is free of beta's marker, and
afterwards the database shows that nothing of beta changed hands. Alpha's own forms that name a
colleague (share the case, share the protection record, hand over as head) are posted with
beta's people, and alpha's admin changes the retention period, which re-dates closed cases:
beta's closed case keeps its date.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask, url_for
from sqlalchemy import ColumnElement, func, select, true
from werkzeug.routing import IntegerConverter

from cases import protection, retention, scope
from cases.workflow import find_case
from handler import settings
from rules.clock import local_date
from store.models import (
    Attachment,
    Case,
    Grant,
    Note,
    RecipientKey,
    Setting,
    Submission,
    User,
)
from tests.support.backoffice import Browser, handler_app
from tests.support.instance import DemoInstance
from tests.support.needs import POSTGRES_URL
from tests.support.orgs import (
    MARK,
    STAFF_ROLES,
    Account,
    Org,
    fill_victim,
    make_org,
    operator_account,
    register_report,
    signed_in,
)
from tests.support.pgroles import role_url

PUBLIC = {"auth.login", "set_language", "static"}
# Route parameters that name a row; any route with one of these is another organization's row.
ID_PARAMETERS = {
    "submission_id",
    "other_id",
    "attachment_id",
    "user_id",
    "matter_id",
    "record_id",
    "row_id",
}
# Valid values for the other parameters, so the request reaches the view, not a 404 of its own.
OTHER_VALUES = {
    "lang": "ru",
    "fmt": "docx",
    "number": 1,
    "step": "kns_notified",
    "code": "ru",
    "filename": "handler.css",
}
KIND = {
    "letters.case_letter": "confirmation_cover",
    "letters.case_letter_export": "confirmation_cover",
}


@dataclass
class Orgs:
    alpha: Org
    beta: Org
    operator: Account
    own_case: str  # alpha's case, with a protection record: its forms name colleagues


@pytest.fixture
def orgs(demo: DemoInstance) -> Orgs:
    alpha = make_org(demo, "alpha", "alpha")
    beta = make_org(demo, "beta", MARK)
    fill_victim(demo, beta)
    own_case = register_report(demo, alpha, "alpha's own facts", identity=True, mark="alpha")
    now = datetime.now(UTC)
    with demo.sessions() as s, s.begin():
        head = s.get_one(User, alpha.accounts["head"].user_id)
        case = find_case(s, s.get_one(Submission, own_case))
        assert case is not None
        protection.create_protection(
            s, case, protection.ProtectedPerson("Alpha Protected"), head, local_date(now)
        )
        # A closed case of beta's, undated: a retention period that reached it would date it.
        closed = find_case(s, s.get_one(Submission, beta.ids["other_id"]))
        assert closed is not None
        closed.closed_at = now
    return Orgs(alpha, beta, operator_account(demo), own_case)


def _value(endpoint: str, name: str, ids: dict[str, str]) -> str | int:
    if name in ids:
        return ids[name]
    if name == "kind":
        return KIND.get(endpoint, "agency_materials")
    return OTHER_VALUES.get(name, "x")


def _routes(app: Flask, ids: dict[str, str]) -> Iterator[tuple[str, str, str, bool]]:
    """(endpoint, method, url, names an id) of every rule and method, ids from `ids`."""
    with app.test_request_context(base_url="https://backoffice.example"):
        for rule in app.url_map.iter_rules():
            values = {}
            for name in rule.arguments:
                value = _value(rule.endpoint, name, ids)
                converter = rule._converters[name]
                values[name] = int(value) if isinstance(converter, IntegerConverter) else value
            url = url_for(rule.endpoint, **values)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url, bool(ID_PARAMETERS & set(rule.arguments))


def _text_of(body: bytes) -> str:
    """A page, or every part of a DOCX/XLSX export (zip archives), lower-cased."""
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    return body.decode("utf-8", errors="replace").lower()


def _snapshot(demo: DemoInstance, beta: Org) -> dict[str, object]:
    """What any change to beta's material would show."""
    with demo.sessions() as s:
        beta_keys = select(RecipientKey.key_id).where(RecipientKey.org_id == beta.id)
        return {
            "users": sorted(
                (u.id, u.password_hash, u.active, u.totp_secret, u.failed_attempts, u.org_id)
                for u in s.scalars(select(User).where(User.org_id == beta.id))
            ),
            "keys": sorted(
                (k.key_id, k.active, k.approved_by)
                for k in s.scalars(select(RecipientKey).where(RecipientKey.org_id == beta.id))
            ),
            "grants": s.scalar(
                select(func.count()).select_from(Grant).where(Grant.key_id.in_(beta_keys))
            ),
            "submissions": sorted(
                s.scalars(select(Submission.id).where(Submission.org_id == beta.id))
            ),
            "notes": s.scalar(select(func.count()).select_from(Note)),
            "attachments": s.scalar(select(func.count()).select_from(Attachment)),
            "settings": sorted(
                (r.key, str(r.value))
                for r in s.scalars(select(Setting).where(Setting.org_id == beta.id))
            ),
            "purge dates": sorted(
                (c.submission_id, str(c.purge_after))
                for c in s.scalars(
                    select(Case)
                    .join(Submission, Submission.id == Case.submission_id)
                    .where(Submission.org_id == beta.id)
                )
            ),
        }


def _foreign_grants(demo: DemoInstance, beta: Org) -> int:
    """Grants held by a key of another organization on an envelope sealed to beta's keys."""
    with demo.sessions() as s:
        beta_envelopes = (
            select(Grant.envelope_id)
            .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
            .where(RecipientKey.org_id == beta.id)
        )
        return (
            s.scalar(
                select(func.count())
                .select_from(Grant)
                .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
                .where(
                    Grant.envelope_id.in_(beta_envelopes),
                    RecipientKey.org_id.is_distinct_from(beta.id),
                )
            )
            or 0
        )


def _operators(endpoint: str) -> bool:
    """What the operator may reach: its pages (the tree, the national calendar) and its own
    account's (handler/gate.py); nothing of any organization."""
    return endpoint.split(".")[0] in ("operator", "calendar") or endpoint in (
        "auth.password",
        "inbox.home",
    )


def _own_forms(client: Browser, role: str, orgs: Orgs) -> None:
    """Alpha's own pages that list colleagues, and its forms that name one, given beta's
    people; alpha's admin sets a retention period (which re-dates closed cases)."""
    sid = orgs.own_case
    for page in (f"/cases/{sid}", f"/cases/{sid}/protection"):
        response = client.get(page)
        assert response.status_code < 500, (role, page, response.status_code)
        assert MARK not in _text_of(response.get_data()), (role, page)
    forms = {
        f"/cases/{sid}/grants": {},
        f"/cases/{sid}/protection/share": {},
        "/handover": {"confirm": "y"},
    }
    for target in ("head", "handler"):
        foreign = str(orgs.beta.accounts[target].user_id)
        for url, extra in forms.items():
            response = client.post(url, {"user_id": foreign, **extra})
            assert 400 <= response.status_code < 500, (role, url, target, response.status_code)
            assert MARK not in _text_of(response.get_data()), (role, url, target)
    # The defaults, not what the database reads back: with the filter taken out the test's own
    # (unrestricted) session would read beta's values too.
    values = {key: definition.default for key, definition in settings.DEFINITIONS.items()}
    response = client.post("/admin/settings", {**values, "retention_years": "5"})
    assert response.status_code == (303 if role == "admin" else 403), (role, response.status_code)


def _crawl(app: Flask, demo: DemoInstance, orgs: Orgs) -> int:
    """Every role of alpha and the operator over every route with beta's ids; returns how
    many requests named one of beta's rows."""
    before = _snapshot(demo, orgs.beta)
    named = 0
    visitors = [(role, orgs.alpha.accounts[role]) for role in STAFF_ROLES]
    visitors.append(("operator", orgs.operator))
    for role, account in visitors:
        client = signed_in(app, demo, account)
        token = client.fresh_token() if role != "operator" else None
        for endpoint, method, url, names_id in _routes(app, orgs.beta.ids):
            if endpoint in PUBLIC or endpoint == "auth.logout":
                continue
            if names_id:
                # With a valid token, so that the view itself has to refuse.
                data = {"csrf_token": token} if method == "POST" and token else None
                response = client.request(method, url, data=data)
                assert response.status_code in (403, 404), (role, method, url, response.status_code)
                named += 1
            else:
                # Pages of one's own organization: unsafe methods without a token (the CSRF
                # check answers 400), so the crawl changes nothing of alpha either.
                response = client.request(method, url)
                assert response.status_code < 500, (role, method, url, response.status_code)
                if role == "operator" and not _operators(endpoint):
                    assert response.status_code == 403, (method, url, response.status_code)
            # The operator's tree names every organization, beta's too (its name carries the
            # marker): names and places in the tree are the operator's, nothing inside them.
            if not (role == "operator" and endpoint.startswith("operator.")):
                assert MARK not in _text_of(response.get_data()), (role, method, url)
        # The lists and exports of one's own organization: nothing of beta in them either.
        # (The search looks for words of beta's case, not the marker the search box echoes.)
        for page in ("/inbox?show=closed", "/search?q=first+case", "/journal/register-ru.xlsx"):
            response = client.get(page)
            assert MARK not in _text_of(response.get_data()), (role, page)
        if role != "operator":
            _own_forms(client, role, orgs)
    assert _snapshot(demo, orgs.beta) == before
    assert _foreign_grants(demo, orgs.beta) == 0
    return named


def test_every_role_of_another_organization_reaches_nothing(
    app: Flask, demo: DemoInstance, orgs: Orgs
) -> None:
    named = _crawl(app, demo, orgs)
    with_ids = [r for r in _routes(app, orgs.beta.ids) if r[3]]
    assert len(with_ids) >= 30  # cases, files, users, matters, records, keys: all of them
    assert named == (len(STAFF_ROLES) + 1) * len(with_ids)
    # The control of the own forms: they took alpha's own people and period.
    head = signed_in(app, demo, orgs.alpha.accounts["head"])
    own = str(orgs.alpha.accounts["handler"].user_id)
    shared = head.post(f"/cases/{orgs.own_case}/protection/share", {"user_id": own})
    assert shared.status_code == 303
    with demo.sessions() as s:
        assert retention.retention_years(s, orgs.alpha.id) == 5


def test_beta_itself_sees_its_own_material(app: Flask, demo: DemoInstance, orgs: Orgs) -> None:
    """The control of the crawl: the same ids open for beta's own staff, so the 404s above are
    the organization's wall, not bad ids."""
    head = signed_in(app, demo, orgs.beta.accounts["head"])
    case = head.get(f"/cases/{orgs.beta.ids['submission_id']}")
    assert case.status_code == 200 and MARK in case.get_data(as_text=True).lower()
    admin = signed_in(app, demo, orgs.beta.accounts["admin"])
    assert admin.get(f"/admin/users/{orgs.beta.ids['user_id']}").status_code == 200
    assert MARK in admin.get("/admin/users").get_data(as_text=True).lower()
    auditor = signed_in(app, demo, orgs.beta.accounts["auditor"])
    assert MARK in auditor.get("/audit").get_data(as_text=True).lower()
    # Beta's pending head key is one its head may approve (it is not, here).
    keys = head.get("/head-keys").get_data(as_text=True).lower()
    assert f"{MARK}-pending-head" in keys


def _no_filter(column: object, _org: object) -> ColumnElement[bool]:
    return true()


def _no_filter_in(column: object, _orgs: object) -> ColumnElement[bool]:
    return true()


def _any_org(_value: object, _org: object) -> bool:
    return True


@pytest.fixture
def without_app_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test hook: the application's organization filter (cases.scope) taken out."""
    monkeypatch.setattr(scope, "in_org", _no_filter)
    monkeypatch.setattr(scope, "in_orgs", _no_filter_in)
    monkeypatch.setattr(scope, "same_org", _any_org)


def test_the_hook_really_removes_the_application_filter(
    app: Flask, demo: DemoInstance, orgs: Orgs, without_app_filter: None
) -> None:
    """Without the filter, a database that does not enforce it (SQLite, or the tables' owner
    on PostgreSQL) shows beta's users to alpha's admin: what the row-level security test below
    must then prevent."""
    admin = signed_in(app, demo, orgs.alpha.accounts["admin"])
    assert MARK in admin.get("/admin/users").get_data(as_text=True).lower()


needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="ADAL_TEST_POSTGRES_URL is unset")


@needs_postgres
def test_row_level_security_alone_keeps_organizations_apart(
    backoffice_role: str,
    demo: DemoInstance,
    orgs: Orgs,
    without_app_filter: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from installation.backoffice_role import grant_backoffice

    report = grant_backoffice(demo.engine, backoffice_role)
    assert report.policies >= 17
    monkeypatch.setenv("ADAL_DATABASE_URL", role_url(demo.instance.database_url, backoffice_role))
    with handler_app({"TESTING": True}) as app:
        assert app.extensions["adal.engine"].url.username == backoffice_role
        _crawl(app, demo, orgs)
        # And the pages that list rows by organization alone, with no key involved.
        admin = signed_in(app, demo, orgs.alpha.accounts["admin"])
        assert MARK not in admin.get("/admin/users").get_data(as_text=True).lower()
        auditor = signed_in(app, demo, orgs.alpha.accounts["auditor"])
        assert MARK not in auditor.get("/audit").get_data(as_text=True).lower()
        # Beta's own staff still work through the same role.
        head = signed_in(app, demo, orgs.beta.accounts["head"])
        case = head.get(f"/cases/{orgs.beta.ids['submission_id']}")
        assert case.status_code == 200 and MARK in case.get_data(as_text=True).lower()
