"""Hostile requests against the back office, signed out and signed in as each role.

Signed in, the requests carry the session's valid CSRF token (most of the time), so they get
past the gate and reach the views: random case, file and user ids, random form fields on every
form, random pages of the inbox and the audit log. A session an example ends (a logout, a
lockout after wrong passwords) is opened again before the next example.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from portal.config import PortalConfig
from store.models import Attachment, User
from tests.support import fuzz_strategies as s
from tests.support import render
from tests.support.backoffice import handler_app, login_fields
from tests.support.fuzz import (
    BACKOFFICE_EXAMPLES,
    Fuzzer,
    LogWatch,
    assert_bad_hosts_refused,
    backoffice_floor,
    body_kwargs,
    file_part_failures,
    fuzz_settings,
)
from tests.support.instance import DemoInstance
from tests.support.portal import portal_app

BASE = "https://backoffice.test"
EXAMPLES = BACKOFFICE_EXAMPLES
floor = backoffice_floor
FIELDS = (
    "csrf_token",
    "username",
    "password",
    "code",
    "text",
    "user_id",
    "channel",
    "received_at",
    "received_by",
    "channel_details",
    "facts",
    "persons",
    "subject",
    "position",
    "unit",
    "when",
    "where",
    "full_name",
    "reporter_position",
    "reporter_unit",
    "consent",
    "nda_intended",
    "files",
    "role",
    "current",
    "new",
    "confirm",
    "organization_name",
    "lockout_max_failures",
    "lockout_minutes",
)
ids = st.one_of(
    st.text("0123456789abcdef", min_size=32, max_size=32),
    # Raw values: rule_paths percent-encodes them, so "\x00" arrives as a NUL.
    st.sampled_from(["", "0", "x" * 33, "\x00", "a\x00b", "%00", "..", "-1"]),
    s.short_text,
)
numbers = st.one_of(st.integers(-5, 10**12).map(str), s.short_text)


@pytest.fixture
def app(demo: DemoInstance) -> Iterator[Flask]:
    with handler_app() as application:  # TESTING off: errors become pages and log lines
        yield application


@pytest.fixture
def case(demo: DemoInstance) -> dict[str, str]:
    """A portal report with a reply, a follow-up and files; its ids for the paths."""
    with portal_app(demo.instance, PortalConfig(kdf_slots=1)) as front:
        submission_id = render.seed_mailbox(front, demo)[1]
    with demo.sessions() as db:
        attachment = db.scalars(select(Attachment.id)).first()
        users = [str(u) for u in db.scalars(select(User.id))]
    return {"submission": submission_id, "attachment": attachment or "", "users": ",".join(users)}


def _step_names() -> list[str]:
    try:
        from rules import workflow

        return [str(getattr(step, "value", step)) for step in workflow.Step]
    except (ImportError, AttributeError, TypeError):
        return []


def paths_for(app: Flask, case: dict[str, str]) -> st.SearchStrategy[str]:
    """The app's own routes with known and random ids, plus anything at all."""
    users = case["users"].split(",")
    values = {
        "submission_id": st.one_of(st.just(case["submission"]), ids),
        "attachment_id": st.one_of(st.just(case["attachment"]), ids),
        "user_id": st.one_of(st.sampled_from(users), numbers),
        "step": st.one_of(st.sampled_from([*_step_names(), "x"]), s.short_text),
        "number": st.sampled_from(["1", "2", "3", "0", "-1", "99"]),
        "lang": st.sampled_from(["ru", "kk", "en", "xx", ""]),
        "fmt": st.sampled_from(["docx", "html", "pdf", "x"]),
    }
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"]
    return st.one_of(
        s.rule_paths(rules, values),
        s.rule_paths(rules, values),
        s.paths(s.BACKOFFICE_PATHS),
        numbers.map(lambda n: f"/inbox?page={n}"),
        numbers.map(lambda n: f"/audit?page={n}"),
    )


def sign_in(fuzz: Fuzzer, demo: DemoInstance, role: str) -> str:
    """Sign in (test set-up: clear a lockout an earlier example caused, and let the current
    TOTP step be used again); returns the session's CSRF token."""
    creds = demo.credentials()[role]
    with demo.sessions() as db, db.begin():
        db.execute(
            update(User)
            .where(User.username == creds["username"])
            .values(locked_until=None, failed_attempts=0, totp_last_counter=None)
        )
    token = fuzz.token("/login")
    answer = fuzz.send("POST", "/login", data={"csrf_token": token, **login_fields(demo, role)})
    assert answer.status_code == 303, f"{role} cannot sign in ({answer.status_code})"
    return fuzz.token(answer.headers["Location"])


def _forms(case: dict[str, str]) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Every form of the back office: (role, page with the form, action) -> its fields."""
    sid = case["submission"]
    return {
        ("", "/login", "/login"): ("username", "password", "code"),
        ("handler", f"/cases/{sid}", f"/cases/{sid}/reply"): ("text",),
        ("handler", f"/cases/{sid}", f"/cases/{sid}/grants"): ("user_id",),
        ("handler", "/register", "/register"): (
            "channel",
            "received_at",
            "received_by",
            "channel_details",
            "facts",
            "persons",
            "subject",
            "position",
            "unit",
            "when",
            "where",
            "full_name",
            "reporter_position",
            "reporter_unit",
            "consent",
            "nda_intended",
        ),
        ("handler", "/account/password", "/account/password"): ("current", "new", "confirm"),
        ("admin", "/admin/users/new", "/admin/users/new"): ("username", "full_name", "role"),
        ("admin", "/admin/settings", "/admin/settings"): (
            "organization_name",
            "lockout_max_failures",
            "lockout_minutes",
        ),
    }


def test_a_file_under_any_field_name(
    app: Flask, watch: LogWatch, demo: DemoInstance, case: dict[str, str]
) -> None:
    """A file part where a text field belongs (a crafted form) is refused politely."""
    failures: list[str] = []
    fuzzers: dict[str, Fuzzer] = {}
    for (role, page, action), fields in _forms(case).items():
        if role not in fuzzers:
            fuzzers[role] = Fuzzer(app, watch, BASE)
            if role:
                sign_in(fuzzers[role], demo, role)
        failures += file_part_failures(fuzzers[role], page, action, fields)
    assert not failures, "\n".join(failures)


def test_a_host_header_no_url_can_be_built_for(app: Flask, watch: LogWatch) -> None:
    assert_bad_hosts_refused(Fuzzer(app, watch, BASE, cookies=False), s.BAD_HOSTS)


def test_a_nul_byte_in_every_id(app: Flask, watch: LogWatch, demo: DemoInstance) -> None:
    """Every route with an id, the id a NUL byte (PostgreSQL refuses NUL in text, SQLite does
    not: this one matters in the PostgreSQL pass)."""
    failures = []
    for role in ("handler", "head", "admin"):
        fuzz = Fuzzer(app, watch, BASE)
        token = sign_in(fuzz, demo, role)
        for rule in sorted({r.rule for r in app.url_map.iter_rules() if "<" in r.rule}):
            path = re.sub(r"<int:[a-z_]+>", "0", re.sub(r"<[a-z_]+>", "%00", rule))
            for method, data in (("GET", None), ("POST", {"csrf_token": token})):
                try:
                    fuzz.send(method, path, data=data)
                except AssertionError as exc:
                    failures.append(f"{role}: {exc}")
    assert not failures, "\n".join(failures)


def test_signed_out(app: Flask, watch: LogWatch, case: dict[str, str]) -> None:
    fuzz = Fuzzer(app, watch, BASE, cookies=False)

    @fuzz_settings(EXAMPLES["signed-out"])
    @given(
        method=st.sampled_from(s.METHODS),
        path=paths_for(app, case),
        headers=s.headers,
        body=st.one_of(
            st.none(),
            st.tuples(st.just("form"), s.urlencoded(FIELDS)),
            st.tuples(st.just("multipart"), s.multipart(FIELDS)),
            st.tuples(st.just("raw"), st.tuples(st.binary(max_size=2000), s.content_types)),
        ),
    )
    def run(method: str, path: str, headers: dict[str, str], body: Any) -> None:
        fuzz.send(method, path, headers=headers, **body_kwargs(body, None))

    run()
    assert fuzz.count >= floor("signed-out")


@pytest.mark.parametrize("role", ["handler", "head", "admin", "auditor"])
def test_signed_in(
    app: Flask, watch: LogWatch, demo: DemoInstance, case: dict[str, str], role: str
) -> None:
    fuzz = Fuzzer(app, watch, BASE)
    session = {"token": sign_in(fuzz, demo, role)}

    @fuzz_settings(EXAMPLES[role])
    @given(
        method=st.sampled_from(["GET", "GET", "POST", "POST", "POST", "HEAD", "PUT", "DELETE"]),
        path=paths_for(app, case),
        with_token=st.sampled_from([True, True, True, False]),
        body=st.one_of(
            st.none(),
            st.tuples(st.just("form"), s.urlencoded(FIELDS)),
            st.tuples(st.just("multipart"), s.multipart(FIELDS)),
        ),
    )
    def run(method: str, path: str, with_token: bool, body: Any) -> None:
        if path.startswith("/logout") and method == "POST":
            path = "/inbox"  # signing out is tested elsewhere; here it would only cost time
        response = fuzz.send(
            method, path, **body_kwargs(body, session["token"] if with_token else None)
        )
        if response.status_code in (302, 303) and "/login" in response.headers.get("Location", ""):
            session["token"] = sign_in(fuzz, demo, role)

    run()
    assert fuzz.count >= floor(role)
