"""The back office under test: the app, a browser that keeps its CSRF token, TOTP codes, and
reports stored exactly as the portal stores them (store/payloads.py formats)."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from flask import Flask
from nacl.public import PrivateKey
from sqlalchemy import select
from werkzeug.test import TestResponse

from handler import create_app, totp
from rules.clock import local_date
from store import payloads, sealing
from store.models import Attachment, AuditEntry, DisclosureBasis, Mailbox, Message, Submission, User
from store.recipients import holders, identity_recipients, report_recipients
from tests.support.instance import DemoInstance, demo_org_id, run_cli

BASE = "https://backoffice.example"
_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@contextmanager
def handler_app(config: Mapping[str, Any] | None = None) -> Iterator[Flask]:
    """The back office on the instance the environment names (the `demo` fixture sets it)."""
    app = create_app(config)
    try:
        yield app
    finally:
        app.extensions["adal.engine"].dispose()


class Browser:
    """A test client over HTTPS (the real cookie is Secure and __Host-) that remembers the
    session's CSRF token from the last page it saw."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.token: str | None = None
        # Assertions read English text; the other languages are tested in test_pages.py.
        self.client.get("/lang/en", base_url=BASE)

    def _seen(self, response: TestResponse) -> TestResponse:
        if response.mimetype == "text/html":
            match = _TOKEN.search(response.get_data(as_text=True))
            if match:
                self.token = match.group(1)
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self._seen(self.client.get(path, base_url=BASE, **kwargs))

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        return self._seen(self.client.open(path, method=method, base_url=BASE, **kwargs))

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> TestResponse:
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            if self.token is None:
                self.get("/login")
            data["csrf_token"] = self.token
        return self._seen(self.client.post(path, data=data, base_url=BASE, **kwargs))

    def fresh_token(self, path: str = "/account/password") -> str:
        self.get(path)
        assert self.token
        return self.token


def code_for(demo: DemoInstance, username: str, secret: str) -> str:
    """A valid code the account has not used yet: the current step, or the next one.

    Tests sign the same demo user in several times within 30 seconds; the server rightly
    refuses a code twice, so take a later step in the window, or (test set-up only) forget the
    used counter when the window is exhausted.
    """
    now = totp.counter_at(datetime.now(UTC))
    with demo.sessions() as s, s.begin():
        user = s.scalars(select(User).where(User.username == username)).one()
        last = user.totp_last_counter
        counter = now if last is None or last < now else last + 1
        if counter > now + totp.WINDOW:
            user.totp_last_counter = None
            counter = now
    return pyotp.HOTP(secret).at(counter)


def login_fields(demo: DemoInstance, role: str) -> dict[str, str]:
    """What the demo user of `role` types into the sign-in form, with an unused TOTP code: the
    one definition behind every client's sign-in (test client, Playwright, fuzzer)."""
    creds = demo.credentials()[role]
    return {
        "username": creds["username"],
        "password": creds["password"],
        "code": code_for(demo, creds["username"], creds["totp secret"]),
    }


def sign_in(
    browser: Browser, demo: DemoInstance, username: str, password: str, secret: str | None
) -> Browser:
    code = code_for(demo, username, secret) if secret else ""
    response = browser.post("/login", {"username": username, "password": password, "code": code})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    # Sign-in starts a new session (and CSRF token); every signed-in page carries it.
    browser.get(response.headers["Location"])
    return browser


def first_sign_in(
    client: Browser, username: str, password: str, new_password: str, home: str = "/inbox"
) -> Browser:
    """A new or reset account's first sign-in: the one-time password alone opens no session;
    the login page then shows a new authenticator secret, and password plus a code from it
    sign in, straight to choosing a password of one's own (issue 12)."""
    page = client.post("/login", {"username": username, "password": password, "code": ""})
    assert page.status_code == 200
    assert client.get("/inbox").headers["Location"] == "/login"  # no session yet
    found = re.search(r'<code class="key">([A-Z2-7 ]+)</code>', page.get_data(as_text=True))
    assert found is not None
    response = client.post(
        "/login",
        {
            "username": username,
            "password": password,
            "code": pyotp.TOTP(found.group(1).replace(" ", "")).now(),
        },
    )
    assert response.headers["Location"] == "/account/password"
    client.get("/account/password")
    assert (
        client.post(
            "/account/password", {"current": password, "new": new_password, "confirm": new_password}
        ).status_code
        == 303
    )
    assert client.get(home).status_code == 200
    return client


APPENDIX2_SCAN = b"%PDF-1.4 the signed Appendix 2"


def one_time_password(html: str) -> str:
    """The one-time password the admin's page shows for a new or reset account."""
    match = re.search(r'<p class="secret"><code>([^<]+)</code>', html)
    assert match, html[:2000]
    return match.group(1)


def recorded_scan(demo: DemoInstance, head: Browser) -> tuple[str, int]:
    """A portal report whose reporter came forward and whose signed Appendix 2 (with a scan)
    the head recorded: (submission id, disclosure record id)."""
    sid = store_portal_report(demo).submission_id
    head.get(f"/cases/{sid}")
    assert (
        head.post(
            f"/cases/{sid}/identity/record", {"full_name": "Жанар Әбенова", "how": "in person"}
        ).status_code
        == 303
    )
    today = local_date(datetime.now(UTC)).isoformat()
    assert (
        head.post(
            f"/cases/{sid}/disclosure/appendix2",
            {"received_on": today, "scan": (io.BytesIO(APPENDIX2_SCAN), "appendix2.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 303
    )
    with demo.sessions() as s:
        record = s.scalars(select(DisclosureBasis)).one()
        assert record.scan_envelope_id is not None
        return sid, record.id


# --- reports stored the way the portal stores them -----------------------------------------


@dataclass
class PortalReport:
    submission_id: str
    mailbox_key: PrivateKey  # derived from the receipt code in the real portal


def store_portal_report(
    demo: DemoInstance,
    *,
    facts: str = "The head of procurement asked for a bribe.",
    identity: dict[str, str] | None = None,
    files: list[tuple[str, str, bytes]] | None = None,
    org_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> PortalReport:
    """A report stored as the portal stores it, in `org_id` (default: the demo organization);
    `extra` adds keys to the sealed report body (such as "sent_from_org")."""
    now = datetime.now(UTC)
    today = local_date(now)
    files = files or []
    mailbox_key = PrivateKey.generate()
    report = {
        "received_at": payloads.utc_timestamp(now),
        "channel": "portal",
        "language": "ru",
        "facts": facts,
        "persons": "Н. Н. Иванов",
        "subject": "200 000 тенге",
        "position": "руководитель отдела",
        "unit": "отдел закупок",
        "when": "март 2026",
        "where": "Астана",
        "identity_provided": identity is not None,
        "consent": identity is not None,
        "nda_intended": False,
        "false_report_acknowledged": True,
        "attachment_count": len(files),
        **(extra or {}),
    }
    with demo.sessions() as s, s.begin():
        org = org_id if org_id is not None else demo_org_id(s)
        report_env = sealing.seal(
            s,
            "report",
            payloads.encode(payloads.REPORT_FORMAT, report),
            report_recipients(s, org),
            today,
        )
        identity_env = None
        if identity is not None:
            identity_env = sealing.seal(
                s,
                "identity",
                payloads.encode(
                    payloads.IDENTITY_FORMAT,
                    {
                        "received_at": report["received_at"],
                        **identity,
                        "consent": True,
                        "consent_text": "I agree",
                    },
                ),
                identity_recipients(s, org),
                today,
            )
        mailbox = Mailbox(
            lookup_tag=secrets.token_bytes(32),
            public_key=bytes(mailbox_key.public_key),
            created_on=today,
        )
        s.add(mailbox)
        s.flush()
        submission = Submission(
            channel="portal",
            org_id=org,
            received_on=today,
            report_envelope_id=report_env.id,
            identity_envelope_id=identity_env.id if identity_env else None,
            mailbox_id=mailbox.id,
        )
        s.add(submission)
        s.flush()
        for name, content_type, data in files:
            writer = sealing.FileWriter(s, report_recipients(s, org), today)
            writer.write(payloads.file_meta_header(name, content_type))
            writer.write(data)
            s.add(Attachment(submission_id=submission.id, envelope_id=writer.finish().id))
        return PortalReport(submission.id, mailbox_key)


def reporter_reads(demo: DemoInstance, report: PortalReport) -> list[str]:
    """What the reporter's mailbox shows: the handlers' messages, opened with the mailbox key."""
    with demo.sessions() as s:
        messages = s.scalars(
            select(Message)
            .where(
                Message.submission_id == report.submission_id, Message.direction == "to_reporter"
            )
            .order_by(Message.id)
        )
        return [
            payloads.message_text(
                sealing.open_body(m.envelope, report.mailbox_key, expect="message")
            )
            for m in messages
        ]


def reporter_follows_up(
    demo: DemoInstance,
    report: PortalReport,
    text: str,
    files: list[tuple[str, str, bytes]] | None = None,
) -> None:
    """A follow-up from the mailbox: sealed to the case's holders, as the portal does."""
    now = datetime.now(UTC)
    today = local_date(now)
    with demo.sessions() as s, s.begin():
        submission = s.get(Submission, report.submission_id)
        assert submission is not None
        to = holders(s, submission.report_envelope)
        names = [{"filename": n, "size": len(d)} for n, _t, d in files or []]
        env = sealing.seal(
            s,
            "message",
            payloads.encode(
                payloads.MESSAGE_FORMAT,
                {"sent_at": payloads.utc_timestamp(now), "text": text, "attachments": names},
            ),
            to,
            today,
        )
        message = Message(
            submission_id=submission.id,
            direction="from_reporter",
            envelope_id=env.id,
            created_on=today,
        )
        s.add(message)
        s.flush()
        for name, content_type, data in files or []:
            writer = sealing.FileWriter(s, to, today)
            writer.write(payloads.file_meta_header(name, content_type))
            writer.write(data)
            s.add(
                Attachment(
                    submission_id=submission.id,
                    message_id=message.id,
                    envelope_id=writer.finish().id,
                )
            )


APPENDIX1_FIELDS = {
    "received_at": "2026-05-08T10:30",
    "received_by": "Иванова А. Б.",
    "channel": "portal",
    "facts": "Взятка при закупке",
    "lang": "ru",
    "fmt": "docx",
}


def export_appendix1(client: Browser, sid: str, **extra: str) -> TestResponse:
    """POST an Appendix 1 export of case `sid`: the sample fields, overridden by `extra`."""
    return client.post(f"/cases/{sid}/appendix1", {**APPENDIX1_FIELDS, **extra})


def audit_entries(demo: DemoInstance, action: str) -> list[AuditEntry]:
    """The audit entries of one action, oldest first."""
    with demo.sessions() as s:
        return list(
            s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


def case_with_known_identity(
    demo: DemoInstance, as_role: Callable[[str], Browser], full_name: str
) -> tuple[str, Browser, Browser]:
    """A portal report whose case the head opens and records the reporter's identity on (the
    reporter came in person): its submission id, the head and a handler, signed in."""
    head, handler = as_role("head"), as_role("handler")
    sid = store_portal_report(demo).submission_id
    head.get(f"/cases/{sid}")
    assert (
        head.post(
            f"/cases/{sid}/identity/record", {"full_name": full_name, "how": "Пришла лично"}
        ).status_code
        == 303
    )
    return sid, head, handler


OPERATOR_USERNAME = "platform-operator"
OPERATOR_PASSWORD = "operator-password-of-the-platform"


def operator_browser(app: Flask) -> Browser:
    """The platform's operator (issue 13), made by `adal user add --role operator` on the
    instance the environment names and signed in the way a new account first signs in."""
    code, output = run_cli("user", "add", "--role", "operator", OPERATOR_USERNAME)
    assert code == 0, output
    one_time = output.strip().splitlines()[-1].rsplit(": ", 1)[1]
    return first_sign_in(Browser(app), OPERATOR_USERNAME, one_time, OPERATOR_PASSWORD, "/operator")


# --- the fixtures tests/handler and tests/orgs share (imported by their conftest.py) --------


@pytest.fixture(name="app")
def backoffice_app(demo: DemoInstance) -> Iterator[Flask]:
    """The back office on this test's demo instance."""
    with handler_app({"TESTING": True}) as application:
        yield application


@pytest.fixture(name="as_role")
def backoffice_as_role(app: Flask, demo: DemoInstance) -> Callable[[str], Browser]:
    """A browser signed in as the demo user of a role ("handler", "head", "admin", "auditor")."""

    def make(role: str) -> Browser:
        creds = demo.credentials()[role]
        return sign_in(
            Browser(app), demo, creds["username"], creds["password"], creds["totp secret"]
        )

    return make


@pytest.fixture(name="operator")
def backoffice_operator(app: Flask, demo: DemoInstance) -> Browser:
    """The platform's operator, who runs the tree and keeps the national calendar (issue 13)."""
    return operator_browser(app)
