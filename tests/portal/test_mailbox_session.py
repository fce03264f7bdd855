"""The mailbox session: at most 20 idle minutes, logout destroys it, and the mailbox key is
never in the cookie or the database in a usable form."""

from __future__ import annotations

import base64
import contextlib
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, select

from crypto.kdf import derive_receipt_secrets, mailbox_private_key
from store.models import Mailbox, WebSession
from tests.support.instance import DemoInstance
from tests.support.portal import csrf_token, login, post_report, receipt_code, report_fields

COOKIE = "adal-portal"  # make_config() turns Secure off, so no __Host- prefix
MINUTE = 60.0


class Clock:
    """The wall clock web.sessions reads (time.time), moved by hand; nothing else is touched."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * MINUTE


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(
        "web.sessions.time", SimpleNamespace(time=fake.time, monotonic=time.monotonic)
    )
    return fake


def _open_mailbox(client: FlaskClient) -> str:
    """A report, then a login with its code; returns the code."""
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))
    assert login(client, code).status_code == 303
    return code


def _shows_thread(page: str) -> bool:
    thread = 'class="status"' in page and 'action="/mailbox/reply"' in page
    code_form = 'name="code"' in page
    assert thread != code_form, "the page is neither the mailbox nor the login form"
    return thread


def _session_rows(demo: DemoInstance) -> set[bytes]:
    with demo.sessions() as s:
        return set(s.execute(select(WebSession.id_hash)).scalars())


def test_mailbox_closes_after_twenty_idle_minutes(client: FlaskClient, clock: Clock) -> None:
    _open_mailbox(client)
    assert _shows_thread(client.get("/mailbox").get_data(as_text=True))
    clock.advance(20)
    clock.advance(1 / 60)  # one second past the limit
    assert not _shows_thread(client.get("/mailbox").get_data(as_text=True))


def test_mailbox_stays_open_while_in_use(client: FlaskClient, clock: Clock) -> None:
    _open_mailbox(client)
    clock.advance(19)
    assert _shows_thread(client.get("/mailbox").get_data(as_text=True))
    # That visit counted as activity: 19 minutes 59 seconds more are still within the limit ...
    clock.advance(19 + 59 / 60)
    assert _shows_thread(client.get("/mailbox").get_data(as_text=True))
    # ... and 20 idle minutes after the last visit it is closed.
    clock.advance(20 + 1 / 60)
    assert not _shows_thread(client.get("/mailbox").get_data(as_text=True))


def test_logout_destroys_the_session(client: FlaskClient, demo: DemoInstance) -> None:
    before = _session_rows(demo)
    _open_mailbox(client)
    page = client.get("/mailbox").get_data(as_text=True)
    assert _shows_thread(page)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    mailbox_rows = _session_rows(demo) - before
    assert mailbox_rows, "no server-side session row while the mailbox is open"
    out = client.post("/mailbox/logout", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 200
    assert not _session_rows(demo) & mailbox_rows  # the row is gone from the database
    # A copy of the old cookie, replayed, opens nothing.
    client.set_cookie(COOKIE, cookie.value)
    assert not _shows_thread(client.get("/mailbox").get_data(as_text=True))
    assert not _session_rows(demo) & mailbox_rows
    other = client.application.test_client()  # another browser holding only the copy
    other.set_cookie(COOKIE, cookie.value)
    assert not _shows_thread(other.get("/mailbox").get_data(as_text=True))


def _forms(secret: bytes) -> dict[str, bytes]:
    b64 = base64.b64encode(secret)
    url = base64.urlsafe_b64encode(secret)
    return {
        "raw": secret,
        "hex": secret.hex().encode(),
        "HEX": secret.hex().upper().encode(),
        "base64": b64,
        "base64 unpadded": b64.rstrip(b"="),
        "urlsafe base64": url.rstrip(b"="),
        "base32": base64.b32encode(secret).rstrip(b"="),
    }


def _database_bytes(demo: DemoInstance) -> list[tuple[str, bytes]]:
    """Every value of every row of every table, as bytes."""
    meta = MetaData()
    meta.reflect(bind=demo.engine)
    out: list[tuple[str, bytes]] = []
    with demo.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()):
                for column, value in zip(table.columns, row, strict=True):
                    if value is None:
                        continue
                    data = (
                        bytes(value)
                        if isinstance(value, (bytes, memoryview))
                        else str(value).encode()
                    )
                    out.append((f"{table.name}.{column.name}", data))
    return out


def test_mailbox_key_is_in_no_cookie_and_no_table(app: Flask, demo: DemoInstance) -> None:
    client = app.test_client()
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))
    set_cookies: list[str] = []
    page = client.get("/mailbox")
    token = csrf_token(page.get_data(as_text=True))
    responses = [page, client.post("/mailbox/login", data={"csrf_token": token, "code": code})]
    mailbox_page = client.get("/mailbox")
    responses.append(mailbox_page)
    assert _shows_thread(mailbox_page.get_data(as_text=True))
    for response in responses:
        set_cookies += response.headers.getlist("Set-Cookie")
    assert any(c.startswith(COOKIE + "=") for c in set_cookies)

    # The key as the portal derives it, checked against the mailbox's stored public key.
    secrets = derive_receipt_secrets(code, demo.instance.salt, demo.instance.kdf)
    private_key = mailbox_private_key(secrets.mailbox_seed)
    with demo.sessions() as s:
        stored = s.execute(select(Mailbox.public_key)).scalar_one()
    assert bytes(private_key.public_key) == stored
    secrets_forms = {
        f"private key {name}": form for name, form in _forms(bytes(private_key)).items()
    }
    secrets_forms.update(
        {f"seed {name}": form for name, form in _forms(secrets.mailbox_seed).items()}
    )

    cookie_bytes = [c.encode() for c in set_cookies]
    for header in set_cookies:
        value = header.split(";", 1)[0].partition("=")[2]
        with contextlib.suppress(ValueError):  # a deleted cookie has an empty value
            cookie_bytes.append(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    in_cookies = [
        name for name, form in secrets_forms.items() if any(form in c for c in cookie_bytes)
    ]
    assert in_cookies == []
    in_tables = [
        (name, where)
        for where, data in _database_bytes(demo)
        for name, form in secrets_forms.items()
        if form in data
    ]
    assert in_tables == []
    # And not in the database's files either (SQLite, its journal; any file in the instance).
    in_files = [
        (name, str(path))
        for path in Path(demo.path).rglob("*")
        if path.is_file()
        for name, form in secrets_forms.items()
        if form in path.read_bytes()
    ]
    assert in_files == []
