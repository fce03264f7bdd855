"""Hostile or broken input on every form: a clear 4xx page, never a 5xx, nothing half-saved."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from store.models import (
    Attachment,
    Case,
    Envelope,
    FileChunk,
    Grant,
    Message,
    Setting,
    Submission,
    User,
)
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

HUGE = "я" * 300_000  # 600 KB of UTF-8: over the form memory limit


def _counts(demo: DemoInstance) -> dict[str, int]:
    with demo.sessions() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (
                Submission,
                Envelope,
                Grant,
                FileChunk,
                Attachment,
                Message,
                Case,
                User,
                Setting,
            )
        }


def _refused(response, *allowed: int) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= response.status_code < 500, response.status_code
    if allowed:
        assert response.status_code in allowed, response.status_code
    body = response.get_data(as_text=True)
    assert "Traceback" not in body


def _foreign_token(browser: Callable[[], Browser]) -> str:
    other = browser()
    other.get("/login")
    assert other.token
    return other.token


def test_login_form(browser: Callable[[], Browser], demo: DemoInstance) -> None:
    client = browser()
    before = _counts(demo)
    for data in (
        {},
        {"username": "demo-handler"},
        {"username": "x" * 65, "password": "p" * 20, "code": "123456"},
        {"username": "demo-handler", "password": "p" * 2000, "code": ""},
        {"username": "demo-handler", "password": "p" * 20, "code": "1" * 17},
        {"username": ["a", "b"], "password": "p" * 20},
    ):
        _refused(client.post("/login", data), 400, 401)
    _refused(client.post("/login", {"username": HUGE, "password": "x"}), 413, 400)
    _refused(
        client.post(
            "/login",
            {
                "username": "demo-handler",
                "password": "x" * 20,
                "csrf_token": _foreign_token(browser),
            },
        ),
        400,
    )
    _refused(
        client.post("/login", {"username": "demo-handler", "password": "x" * 20}, csrf=False), 400
    )
    assert _counts(demo) == before


def test_password_form(
    as_role: Callable[[str], Browser], browser: Callable[[], Browser], demo: DemoInstance
) -> None:
    client = as_role("auditor")
    creds = demo.credentials()["auditor"]
    with demo.sessions() as s:
        hash_before = s.scalars(
            select(User.password_hash).where(User.username == creds["username"])
        ).one()
    for data in (
        {},
        {"current": creds["password"], "new": "a" * 20, "confirm": "b" * 20},
        {"current": creds["password"], "new": "short", "confirm": "short"},
        {"current": creds["password"], "new": "a" * 2000, "confirm": "a" * 2000},
        {"current": creds["password"], "new": creds["password"], "confirm": creds["password"]},
    ):
        _refused(client.post("/account/password", data), 400)
    _refused(
        client.post(
            "/account/password",
            {
                "current": creds["password"],
                "new": "a" * 20,
                "confirm": "a" * 20,
                "csrf_token": _foreign_token(browser),
            },
        ),
        400,
    )
    with demo.sessions() as s:
        assert (
            s.scalars(select(User.password_hash).where(User.username == creds["username"])).one()
            == hash_before
        )


def test_reply_form(
    as_role: Callable[[str], Browser], browser: Callable[[], Browser], demo: DemoInstance
) -> None:
    report = store_portal_report(demo)
    client = as_role("handler")
    client.get(f"/cases/{report.submission_id}")
    before = _counts(demo)
    url = f"/cases/{report.submission_id}/reply"
    _refused(client.post(url, {}), 400)
    _refused(client.post(url, {"text": ""}), 400)
    _refused(client.post(url, {"text": "x" * 20_001}), 400)
    _refused(client.post(url, {"text": HUGE}), 413, 400)
    _refused(client.post(url, {"text": "hi", "csrf_token": _foreign_token(browser)}), 400)
    _refused(client.post(url, {"text": "hi"}, csrf=False), 400)
    _refused(client.post("/cases/not-a-case/reply", {"text": "hi"}), 404)
    _refused(client.post(f"/cases/{'0' * 32}/reply", {"text": "hi"}), 404)
    assert _counts(demo) == before


def test_reply_needs_a_mailbox(as_role: Callable[[str], Browser], demo: DemoInstance) -> None:
    client = as_role("handler")
    response = client.post(
        "/register",
        {
            "channel": "in_person",
            "received_at": "2026-01-05T09:00",
            "received_by": "Head",
            "facts": "A report given in person.",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    case_url = response.headers["Location"]
    assert "no mailbox" in client.get(case_url).get_data(as_text=True)
    _refused(client.post(f"{case_url}/reply", {"text": "hello"}), 409)


def test_grant_and_revoke_forms(
    as_role: Callable[[str], Browser], browser: Callable[[], Browser], demo: DemoInstance
) -> None:
    report = store_portal_report(demo)
    client = as_role("handler")
    client.get(f"/cases/{report.submission_id}")
    with demo.sessions() as s:
        ids = {u.username: u.id for u in s.scalars(select(User))}
    before = _counts(demo)
    url = f"/cases/{report.submission_id}/grants"
    for value in ("", "abc", "1.5", str(ids["demo-admin"]), str(ids["demo-head"]), "999999", "-1"):
        _refused(client.post(url, {"user_id": value}), 400)
    _refused(client.post(url, {}), 400)
    _refused(
        client.post(url, {"user_id": str(ids["demo-head"]), "csrf_token": _foreign_token(browser)}),
        400,
    )
    revoke = f"/cases/{report.submission_id}/grants/{ids['demo-head']}/revoke"
    _refused(client.post(revoke, {"csrf_token": _foreign_token(browser)}), 400)
    _refused(client.post(revoke, csrf=False), 400)
    _refused(client.post(f"/cases/{report.submission_id}/grants/999999/revoke"), 404)
    _refused(client.post(f"/cases/{report.submission_id}/grants/abc/revoke"), 404)
    assert _counts(demo) == before


VALID_REGISTRATION = {
    "channel": "electronic",
    "received_at": "2026-02-01T12:30",
    "received_by": "Айгерім",
    "facts": "Письмо о взятке.",
}


@pytest.mark.parametrize(
    "change",
    [
        {"facts": ""},
        {"facts": "x" * 20_001},
        {"channel": "portal"},  # only the portal itself writes portal reports
        {"channel": "pigeon"},
        {"channel": ""},
        {"received_at": ""},
        {"received_at": "yesterday"},
        {"received_at": "2026-13-45T99:99"},
        {"received_at": "2999-01-01T10:00"},  # in the future
        {"received_at": "1999-12-31T10:00"},
        {"received_by": ""},
        {"received_by": "x" * 201},
        {"position": "x" * 301},
        {"full_name": "x" * 201},
        {"consent": ["y", "y"], "facts": ""},
    ],
)
def test_register_form_refuses_without_saving(
    as_role: Callable[[str], Browser], demo: DemoInstance, change: dict[str, object]
) -> None:
    client = as_role("handler")
    before = _counts(demo)
    data: dict[str, object] = {
        **VALID_REGISTRATION,
        **change,
        "files": [(io.BytesIO(b"recording"), "call.mp3", "audio/mpeg")],
    }
    response = client.post("/register", data, content_type="multipart/form-data")
    _refused(response, 400)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _counts(demo) == before


def test_register_limits(
    app: Flask,
    as_role: Callable[[str], Browser],
    browser: Callable[[], Browser],
    demo: DemoInstance,
) -> None:
    client = as_role("head")
    before = _counts(demo)
    many = [(io.BytesIO(b"x"), f"f{i}.txt", "text/plain") for i in range(21)]
    _refused(
        client.post(
            "/register", {**VALID_REGISTRATION, "files": many}, content_type="multipart/form-data"
        ),
        400,
    )
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big = [(io.BytesIO(b"\0" * 100_000), "big.wav", "audio/wav")]
    _refused(
        client.post(
            "/register", {**VALID_REGISTRATION, "files": big}, content_type="multipart/form-data"
        ),
        413,
    )
    _refused(
        client.post(
            "/register",
            {**VALID_REGISTRATION, "csrf_token": _foreign_token(browser)},
            content_type="multipart/form-data",
        ),
        400,
    )
    _refused(
        client.post(
            "/register", {**VALID_REGISTRATION}, csrf=False, content_type="multipart/form-data"
        ),
        400,
    )
    assert _counts(demo) == before


def test_admin_forms(
    as_role: Callable[[str], Browser], browser: Callable[[], Browser], demo: DemoInstance
) -> None:
    client = as_role("admin")
    before = _counts(demo)
    for data in (
        {},
        {"username": "a b", "full_name": "A", "role": "handler"},
        {"username": "x" * 65, "full_name": "A", "role": "handler"},
        {"username": "new-user", "full_name": "", "role": "handler"},
        {"username": "new-user", "full_name": "A", "role": "superuser"},
        {"username": "demo-handler", "full_name": "Dup", "role": "handler"},
        {"username": "new-user", "full_name": "x" * 201, "role": "head"},
    ):
        _refused(client.post("/admin/users/new", data), 400)
    _refused(
        client.post(
            "/admin/users/new",
            {
                "username": "ok-user",
                "full_name": "A",
                "role": "handler",
                "csrf_token": _foreign_token(browser),
            },
        ),
        400,
    )
    for data in (
        {"organization_name": "", "lockout_max_failures": "abc", "lockout_minutes": "15"},
        {"organization_name": "", "lockout_max_failures": "1", "lockout_minutes": "15"},
        {"organization_name": "", "lockout_max_failures": "5", "lockout_minutes": "99999"},
        {"organization_name": "x" * 201, "lockout_max_failures": "5", "lockout_minutes": "15"},
        {"organization_name": "", "lockout_max_failures": "", "lockout_minutes": ""},
    ):
        _refused(client.post("/admin/settings", data), 400)
    with demo.sessions() as s:
        me = s.scalars(select(User.id).where(User.username == "demo-admin")).one()
    _refused(client.post(f"/admin/users/{me}/deactivate"), 400)  # not oneself
    _refused(client.post(f"/admin/users/{me}/reset-password"), 400)
    _refused(client.post("/admin/users/999999/deactivate"), 404)
    assert _counts(demo) == before


def test_wrong_methods_and_unknown_pages(as_role: Callable[[str], Browser]) -> None:
    client = as_role("handler")
    _refused(client.get("/logout"), 405)
    _refused(client.request("PUT", "/inbox"), 405)
    _refused(client.get("/no/such/page"), 404)
    assert client.get("/inbox?page=abc").status_code == 200  # a bad page number is page 1
    assert client.get("/inbox?page=-5").status_code == 200


def test_a_file_where_text_belongs(
    as_role: Callable[[str], Browser], browser: Callable[[], Browser], demo: DemoInstance
) -> None:
    """A file part under a text field's name is an empty field, not a crash."""
    _refused(
        browser().post(
            "/login",
            {"username": (io.BytesIO(b"x"), "u.txt"), "password": "p" * 20},
            content_type="multipart/form-data",
        ),
        400,
        401,
    )
    client = as_role("handler")
    before = _counts(demo)
    _refused(
        client.post(
            "/register",
            {**VALID_REGISTRATION, "facts": (io.BytesIO(b"x"), "facts.txt")},
            content_type="multipart/form-data",
        ),
        400,
    )
    assert _counts(demo) == before
