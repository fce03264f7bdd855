"""Hostile requests against the portal: whatever arrives, the answer is < 500 and the logs stay
clean. Runs on SQLite and on PostgreSQL (the database is part of what can fail).

Four angles: anything at all (method, path, headers, cookies, body); the report form with
random fields, files and broken multipart bodies behind a valid token; receipt codes of every
shape at the mailbox login; and a reporter's open mailbox receiving random follow-ups.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from portal.config import PortalConfig
from tests.support import fuzz as fuzz_support
from tests.support import fuzz_strategies as s
from tests.support import render
from tests.support.fuzz import (
    PORTAL_EXAMPLES,
    Fuzzer,
    LogWatch,
    assert_bad_hosts_refused,
    body_kwargs,
    file_part_failures,
    fuzz_settings,
    portal_floor,
)
from tests.support.instance import DemoInstance
from tests.support.portal import portal_app

BASE = "https://adal.test"
# Small on purpose, so random bodies also reach the "too large" path.
UPLOAD_LIMIT = 16 * 1024
REPORT_FIELDS = (
    "csrf_token",
    "nonce",
    "org",
    "to",
    "facts",
    "persons",
    "subject",
    "position",
    "unit",
    "when",
    "where",
    "full_name",
    "own_position",
    "own_unit",
    "consent",
    "nda",
    "acknowledge",
    "files",
)
MAILBOX_FIELDS = ("csrf_token", "text", "files", "code", "draft")
_NONCE = re.compile(r'name="nonce"[^>]*value="([^"]+)"')
EXAMPLES = PORTAL_EXAMPLES
floor = portal_floor


bodies = st.one_of(
    st.none(),
    st.tuples(st.just("form"), s.urlencoded(REPORT_FIELDS + MAILBOX_FIELDS)),
    st.tuples(st.just("raw"), st.tuples(st.binary(max_size=2000), s.content_types)),
    st.tuples(st.just("multipart"), s.multipart(REPORT_FIELDS + MAILBOX_FIELDS)),
)


@pytest.fixture
def app(demo: DemoInstance) -> Iterator[Flask]:
    config = PortalConfig(kdf_slots=2, max_upload_bytes=UPLOAD_LIMIT)
    with portal_app(demo.instance, config) as application:  # TESTING off, as in production
        yield application


@pytest.fixture
def code(app: Flask, demo: DemoInstance) -> str:
    """A mailbox with a reply and a follow-up (so logged-in pages have a thread to show)."""
    return render.seed_mailbox(app, demo)[0]


def test_the_plan_reaches_ten_thousand_requests() -> None:
    total = sum(map(floor, EXAMPLES)) + sum(
        map(fuzz_support.backoffice_floor, fuzz_support.BACKOFFICE_EXAMPLES)
    )
    assert total >= 10_000, total


# Every form of the portal and its fields (the page that carries the form, its action).
FORMS = {
    ("/report", "/report"): (
        "nonce",
        "facts",
        "persons",
        "subject",
        "position",
        "unit",
        "when",
        "where",
        "full_name",
        "own_position",
        "own_unit",
        "consent",
        "nda",
        "acknowledge",
    ),
    ("/mailbox", "/mailbox/login"): ("code", "draft"),
}


def test_a_file_under_any_field_name(app: Flask, watch: LogWatch, code: str) -> None:
    """A file part where a text field belongs (a crafted form) is refused politely."""
    fuzz = Fuzzer(app, watch, BASE)
    failures: list[str] = []
    forms = [
        *FORMS.items(),
        (("/mailbox", "/mailbox/reply"), ("text",)),
        (("/mailbox", "/mailbox/logout"), ("csrf_token",)),
    ]

    def sign_in() -> None:
        fuzz.send(
            "POST", "/mailbox/login", data={"csrf_token": fuzz.token("/mailbox"), "code": code}
        )

    for (page, action), fields in forms:
        before = sign_in if action == "/mailbox/reply" else None
        failures += file_part_failures(fuzz, page, action, fields, before)
    assert not failures, "\n".join(failures)


def test_a_host_header_no_url_can_be_built_for(app: Flask, watch: LogWatch) -> None:
    assert_bad_hosts_refused(Fuzzer(app, watch, BASE, cookies=False), s.BAD_HOSTS)


def test_anything(app: Flask, watch: LogWatch) -> None:
    # Without a cookie jar, so the random Cookie headers reach the app as they are.
    fuzz = Fuzzer(app, watch, BASE, cookies=False)

    @fuzz_settings(EXAMPLES["anything"])
    @given(
        method=st.sampled_from(s.METHODS),
        path=s.paths(s.PORTAL_PATHS),
        headers=s.headers,
        body=bodies,
    )
    def run(method: str, path: str, headers: dict[str, str], body: Any) -> None:
        fuzz.send(method, path, headers=headers, **body_kwargs(body, None))

    run()
    assert fuzz.count >= floor("anything")


def test_report_form(app: Flask, watch: LogWatch) -> None:
    fuzz = Fuzzer(app, watch, BASE)

    @fuzz_settings(EXAMPLES["report"])
    @given(
        form=s.multipart(REPORT_FIELDS),
        complete=st.booleans(),
        facts=s.any_text,
        same_nonce=st.booleans(),
    )
    def run(form: s.Multipart, complete: bool, facts: str, same_nonce: bool) -> None:
        page = fuzz.send("GET", "/report").get_data(as_text=True)
        token = fuzz.token_in(page)
        nonce = _NONCE.search(page)
        extra = []
        if complete:  # a form that can pass validation, with the random parts after it
            extra = [
                s.Part(
                    "nonce",
                    (
                        nonce.group(1) if nonce and not same_nonce else "fuzz-nonce-0123456789ab"
                    ).encode(),
                ),
                s.Part("facts", (facts or "x").encode("utf-8", "surrogatepass")),
                s.Part("acknowledge", b"y"),
            ]
        body = s.Multipart(
            extra + form.parts,
            form.boundary,
            form.header_boundary,
            form.truncate,
            form.newline,
            form.with_token,
            form.extra_parts,
        )
        fuzz.send("POST", "/report", data=body.body(token), content_type=body.content_type)

    run()
    assert fuzz.count >= floor("report")


def test_receipt_logins(app: Flask, watch: LogWatch, code: str) -> None:
    fuzz = Fuzzer(app, watch, BASE)

    @fuzz_settings(EXAMPLES["login"])
    @given(
        typed=s.receipt_codes,
        real=st.booleans(),
        separators=st.lists(st.sampled_from([" ", "-", "", "\u00a0", "\u200b", "\t"]), max_size=3),
        draft=st.one_of(st.none(), s.any_text),
        with_token=st.booleans(),
    )
    def run(
        typed: str, real: bool, separators: list[str], draft: str | None, with_token: bool
    ) -> None:
        token = fuzz.token("/mailbox")
        if real:
            digits = code.replace(" ", "")
            typed = "".join(
                d + (separators[i % len(separators)] if separators else "")
                for i, d in enumerate(digits)
            )
        data: dict[str, str] = {"code": typed}
        if with_token:
            data["csrf_token"] = token
        if draft is not None:
            data["draft"] = draft
        fuzz.send("POST", "/mailbox/login", data=data)

    run()
    assert fuzz.count >= floor("login")


def test_open_mailbox(app: Flask, watch: LogWatch, code: str) -> None:
    fuzz = Fuzzer(app, watch, BASE)

    def ensure_open() -> str:
        page = fuzz.send("GET", "/mailbox").get_data(as_text=True)
        if 'id="code"' in page:  # logged out by an earlier example: open it again
            fuzz.send(
                "POST", "/mailbox/login", data={"csrf_token": fuzz.token_in(page), "code": code}
            )
            page = fuzz.send("GET", "/mailbox").get_data(as_text=True)
        return fuzz.token_in(page)

    @fuzz_settings(EXAMPLES["mailbox"])
    @given(
        path=st.sampled_from(
            [
                "/mailbox/reply",
                "/mailbox/reply",
                "/mailbox/reply",
                "/mailbox/logout",
                "/mailbox/login",
                "/report",
            ]
        ),
        body=st.one_of(
            st.tuples(st.just("multipart"), s.multipart(MAILBOX_FIELDS)),
            st.tuples(st.just("form"), s.urlencoded(MAILBOX_FIELDS)),
        ),
    )
    def run(path: str, body: Any) -> None:
        token = ensure_open()
        fuzz.send("POST", path, **body_kwargs(body, token))

    run()
    assert fuzz.count >= floor("mailbox")
