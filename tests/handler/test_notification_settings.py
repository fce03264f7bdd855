"""Each user's notification settings page and the admin's mail page (issue 14), through HTTP.

The code mail goes to a real SMTP server on loopback (aiosmtpd), so the test reads the code the
way a person would: from the mail.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from babel.dates import format_datetime
from flask import Flask
from sqlalchemy import select

from cases import mail_address, notices
from handler import create_app
from handler.config import HandlerConfig
from handler.forms import NOTICE_CHOICE_LABELS
from handler.notice_mail import confirmation
from mail.smtp import SmtpSettings
from rules.clock import utcnow
from rules.errors import AdalError
from store.models import AuditEntry, User
from tests.support.backoffice import Browser, sign_in
from tests.support.instance import DemoInstance, demo_org_id
from web.i18n import LANGUAGES

ADDRESS = "zhanar.abenova@example.kz"
PAGE = "/account/notifications"


class Inbox:
    """An SMTP server's handler that keeps every mail it is given."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def code(self, to: str) -> str:
        recipients, message = self.mails[-1]
        assert recipients == [to]
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(r"\b(\d{6})\b", body.get_content())
        assert found, body.get_content()
        return found.group(1)


@pytest.fixture(autouse=True)
def no_addresses(demo: DemoInstance) -> None:
    """`adal init --demo` gives every demo user a confirmed address; these tests start without."""
    with demo.sessions() as s, s.begin():
        for user in s.scalars(select(User)):
            user.email, user.email_confirmed = None, False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _app(config: HandlerConfig) -> Iterator[Flask]:
    app = create_app({"TESTING": True}, config=config)
    try:
        yield app
    finally:
        app.extensions["adal.engine"].dispose()


@pytest.fixture
def mail_app(demo: DemoInstance, smtp_server: tuple[Inbox, int]) -> Iterator[Flask]:
    """The back office with a mail server: the loopback one."""
    _inbox, port = smtp_server
    yield from _app(HandlerConfig(smtp=SmtpSettings("127.0.0.1", port, "none", "adal@example.kz")))


@pytest.fixture
def inbox(smtp_server: tuple[Inbox, int]) -> Inbox:
    return smtp_server[0]


@pytest.fixture
def no_mail_app(demo: DemoInstance) -> Iterator[Flask]:
    """The back office on a server without a mail server (ADAL_SMTP_HOST unset)."""
    yield from _app(HandlerConfig())


def _signer(app: Flask, demo: DemoInstance) -> Callable[[str], Browser]:
    def make(role: str) -> Browser:
        creds = demo.credentials()[role]
        return sign_in(
            Browser(app), demo, creds["username"], creds["password"], creds["totp secret"]
        )

    return make


@pytest.fixture
def as_mail_role(mail_app: Flask, demo: DemoInstance) -> Callable[[str], Browser]:
    return _signer(mail_app, demo)


def _user(demo: DemoInstance, role: str) -> User:
    with demo.sessions() as s:
        user = s.scalars(
            select(User).where(User.username == demo.credentials()[role]["username"])
        ).one()
        s.expunge(user)
        return user


def _audit_text(demo: DemoInstance) -> str:
    with demo.sessions() as s:
        return "\n".join(
            f"{e.actor} {e.action} {e.target} {e.details}" for e in s.scalars(select(AuditEntry))
        )


def _confirm(browser: Browser, inbox: Inbox, address: str = ADDRESS) -> None:
    browser.get(PAGE)
    response = browser.post(f"{PAGE}/address", {"address": address})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    page = browser.get(PAGE).get_data(as_text=True)
    assert "A confirmation code is on its way" in page
    response = browser.post(f"{PAGE}/confirm", {"code": inbox.code(address)})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]


# --- the address ------------------------------------------------------------------------------


def test_set_address_mail_code_confirm(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser]
) -> None:
    handler = as_mail_role("handler")
    page = handler.get(PAGE)
    assert page.status_code == 200
    assert "No confirmed address: you receive no mail." in page.get_data(as_text=True)

    assert handler.post(f"{PAGE}/address", {"address": f"  {ADDRESS} "}).status_code == 303
    assert len(inbox.mails) == 1
    recipients, message = inbox.mails[0]
    assert recipients == [ADDRESS]
    assert message["From"] == "adal@example.kz"
    # The user's mail language: Kazakh until they choose another.
    assert message["Subject"] == mail_address_subject("kk")
    pending = _user(demo, "handler")
    assert pending.email_pending == ADDRESS and not pending.email_confirmed
    assert pending.email_code_hash and inbox.code(ADDRESS) not in pending.email_code_hash
    text = handler.get(PAGE).get_data(as_text=True)
    assert "Type the code" in text and "No confirmed address" in text

    assert handler.post(f"{PAGE}/confirm", {"code": inbox.code(ADDRESS)}).status_code == 303
    text = handler.get(PAGE).get_data(as_text=True)
    assert "Your e-mail address is confirmed." in text
    assert "Your confirmed address:" in text and ADDRESS in text
    assert "No confirmed address" not in text and "Type the code" not in text
    user = _user(demo, "handler")
    assert (user.email, user.email_confirmed, user.email_pending) == (ADDRESS, True, None)
    assert user.email_code_hash is None
    assert notices.receives(user, "new_report")
    with demo.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.email")).one()
        assert (entry.actor, entry.target) == (user.username, user.username)
        assert entry.details == {"confirmed": True}

    # Removing it is audited too, and ends the mail.
    assert handler.post(f"{PAGE}/remove").status_code == 303
    text = handler.get(PAGE).get_data(as_text=True)
    assert "Your e-mail address is removed." in text and ADDRESS not in text
    user = _user(demo, "handler")
    assert (user.email, user.email_confirmed) == (None, False)
    assert not notices.receives(user, "new_report")
    with demo.sessions() as s:
        details = [
            e.details
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.action == "user.email").order_by(AuditEntry.id)
            )
        ]
    assert details == [{"confirmed": True}, {"removed": True}]
    assert ADDRESS not in _audit_text(demo)


def mail_address_subject(lang: str) -> str:
    return confirmation(lang, "000000", 30)[0]


def test_the_code_mail_is_in_the_chosen_language(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser]
) -> None:
    head = as_mail_role("head")
    head.get(PAGE)
    assert (
        head.post(
            f"{PAGE}/choices", {**dict.fromkeys(CHOICES_ON, "y"), "language": "ru"}
        ).status_code
        == 303
    )
    assert head.post(f"{PAGE}/address", {"address": ADDRESS}).status_code == 303
    _recipients, message = inbox.mails[-1]
    assert message["Subject"] == mail_address_subject("ru") != mail_address_subject("kk")
    body = message.get_body(("plain",))
    assert body is not None and "30" in body.get_content()


CHOICES_ON = tuple(NOTICE_CHOICE_LABELS)


def test_wrong_code_five_times_spends_the_code(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser]
) -> None:
    handler = as_mail_role("handler")
    handler.get(PAGE)
    assert handler.post(f"{PAGE}/address", {"address": ADDRESS}).status_code == 303
    code = inbox.code(ADDRESS)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in range(1, mail_address.MAX_ATTEMPTS + 1):
        response = handler.post(f"{PAGE}/confirm", {"code": wrong})
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        if attempt < mail_address.MAX_ATTEMPTS:
            assert "This is not the code that was sent." in text
        else:
            assert "typed wrong too many times" in text
    # The right code no longer helps: a new one must be asked for.
    response = handler.post(f"{PAGE}/confirm", {"code": code})
    assert response.status_code == 400
    assert "typed wrong too many times" in response.get_data(as_text=True)
    user = _user(demo, "handler")
    assert not user.email_confirmed and user.email is None
    assert user.email_code_attempts == mail_address.MAX_ATTEMPTS

    # A new code works.
    assert handler.post(f"{PAGE}/address", {"address": ADDRESS}).status_code == 303
    assert len(inbox.mails) == 2
    assert handler.post(f"{PAGE}/confirm", {"code": inbox.code(ADDRESS)}).status_code == 303
    assert _user(demo, "handler").email_confirmed


def test_a_new_code_waits_a_minute(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser]
) -> None:
    handler = as_mail_role("handler")
    handler.get(PAGE)
    assert handler.post(f"{PAGE}/address", {"address": ADDRESS}).status_code == 303
    first = inbox.code(ADDRESS)
    response = handler.post(f"{PAGE}/address", {"address": "other@example.kz"})
    assert response.status_code == 400
    assert "A code was sent less than a minute ago." in response.get_data(as_text=True)
    assert len(inbox.mails) == 1
    assert _user(demo, "handler").email_pending == ADDRESS
    with demo.sessions() as s, s.begin():
        user = s.scalars(select(User).where(User.email_pending == ADDRESS)).one()
        assert user.email_code_expires is not None
        user.email_code_expires -= mail_address.RESEND_AFTER
    assert handler.post(f"{PAGE}/address", {"address": "other@example.kz"}).status_code == 303
    assert len(inbox.mails) == 2
    # The earlier code stops working once a new one is sent.
    response = handler.post(f"{PAGE}/confirm", {"code": first})
    assert response.status_code == 400
    assert (
        handler.post(f"{PAGE}/confirm", {"code": inbox.code("other@example.kz")}).status_code == 303
    )
    user = _user(demo, "handler")
    assert (user.email, user.email_confirmed) == ("other@example.kz", True)


def test_expired_code_is_refused(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser]
) -> None:
    handler = as_mail_role("handler")
    handler.get(PAGE)
    assert handler.post(f"{PAGE}/address", {"address": ADDRESS}).status_code == 303
    with demo.sessions() as s, s.begin():
        user = s.scalars(select(User).where(User.email_pending == ADDRESS)).one()
        user.email_code_expires = datetime.now(UTC) - timedelta(seconds=1)
    response = handler.post(f"{PAGE}/confirm", {"code": inbox.code(ADDRESS)})
    assert response.status_code == 400
    assert "The code has expired. Ask for a new code." in response.get_data(as_text=True)
    assert not _user(demo, "handler").email_confirmed


def test_a_code_without_an_address_waiting(as_mail_role: Callable[[str], Browser]) -> None:
    handler = as_mail_role("handler")
    handler.get(PAGE)
    for code in ("123456", "", "x" * 5000):
        response = handler.post(f"{PAGE}/confirm", {"code": code})
        assert response.status_code == 400, code[:20]
        text = response.get_data(as_text=True)
        assert any(
            words in text
            for words in ("No address is waiting for a code", "Type the code", "six digits")
        ), code[:20]


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "no-at-sign.example.kz",
        "two@at@example.kz",
        "space in@example.kz",
        "tab\there@example.kz",
        "nul\x00@example.kz",
        "nodot@localhost",
        "@example.kz",
        "name@.example.kz",
        "name@example.kz.",
        "name@example..kz",
        "a" * 250 + "@example.kz",
        "x" * 100_000,
    ],
)
def test_bad_address_is_a_clear_refusal(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser], address: str
) -> None:
    handler = as_mail_role("handler")
    handler.get(PAGE)
    response = handler.post(f"{PAGE}/address", {"address": address})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert any(
        words in text
        for words in (
            "Type an e-mail address.",
            "This is not an e-mail address.",
            "An e-mail address has at most 254 characters.",
        )
    )
    assert inbox.mails == []
    assert _user(demo, "handler").email_pending is None


def test_bad_address_in_kazakh_and_russian(as_mail_role: Callable[[str], Browser]) -> None:
    handler = as_mail_role("handler")
    seen = set()
    for lang in ("kk", "ru"):
        handler.get(f"/lang/{lang}?next={PAGE}")
        response = handler.post(f"{PAGE}/address", {"address": "not an address"})
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert "This is not an e-mail address." not in text
        seen.add(text)
    assert len(seen) == 2


def test_without_a_mail_server(no_mail_app: Flask, demo: DemoInstance) -> None:
    handler = _signer(no_mail_app, demo)("handler")
    page = handler.get(PAGE).get_data(as_text=True)
    assert "This server sends no mail" in page
    response = handler.post(f"{PAGE}/address", {"address": ADDRESS})
    assert response.status_code == 400
    assert "This server sends no mail, so an address cannot be confirmed." in response.get_data(
        as_text=True
    )
    user = _user(demo, "handler")
    assert (user.email, user.email_pending, user.email_code_hash) == (None, None, None)


def test_mail_server_down_is_a_clear_refusal(demo: DemoInstance) -> None:
    closed = _free_port()  # nothing listens there
    for app in _app(HandlerConfig(smtp=SmtpSettings("127.0.0.1", closed, "none", "adal@x.kz"))):
        handler = _signer(app, demo)("handler")
        handler.get(PAGE)
        response = handler.post(f"{PAGE}/address", {"address": ADDRESS})
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert "The mail server cannot be reached, so no code was sent." in text
        assert "127.0.0.1" not in text
    assert _user(demo, "handler").email_pending is None


# --- what the admin sees ------------------------------------------------------------------------


def test_admin_sees_confirmed_yes_no_never_the_address(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser]
) -> None:
    _confirm(as_mail_role("handler"), inbox)
    handler_id = _user(demo, "handler").id
    head_id = _user(demo, "head").id
    admin = as_mail_role("admin")
    staff = admin.get("/admin/users").get_data(as_text=True)
    assert "E-mail confirmed" in staff
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r'<a href="/admin/users/(\d+)">.*?</td>(?:\s*<td>.*?</td>){4}\s*<td>(\w+)</td>',
            staff,
            re.S,
        )
    }
    assert rows[str(handler_id)] == "yes"
    assert rows[str(head_id)] == "no"
    one = admin.get(f"/admin/users/{handler_id}").get_data(as_text=True)
    assert "E-mail address" in one and "confirmed" in one
    other = admin.get(f"/admin/users/{head_id}").get_data(as_text=True)
    assert "none confirmed: no mail is sent to this person" in other
    mail_page = admin.get("/admin/mail")
    assert mail_page.status_code == 200
    assert "1 of 2" in mail_page.get_data(as_text=True)
    for text in (staff, one, other, mail_page.get_data(as_text=True)):
        assert ADDRESS not in text
    auditor = as_mail_role("auditor")
    assert ADDRESS not in auditor.get("/audit").get_data(as_text=True)
    assert ADDRESS not in _audit_text(demo)


def _pass(org_id: int, sent: int, failed: int, error: str = "") -> notices.Pass:
    """A pass that mailed receivers of `org_id`, as the worker counts it."""
    result = notices.Pass()
    for _ in range(sent):
        result.count(org_id, sent=True)
    for _ in range(failed):
        result.count(org_id, sent=False, error=error)
    return result


def test_admin_mail_page_shows_the_last_pass(
    demo: DemoInstance, as_mail_role: Callable[[str], Browser]
) -> None:
    admin = as_mail_role("admin")
    text = admin.get("/admin/mail").get_data(as_text=True)
    assert "none yet" in text
    # Passes of the last days: counted as a seven-day total up to yesterday, never per pass
    # (an admin reloading the page each window would learn when reports arrive).
    now = utcnow()
    with demo.sessions() as s, s.begin():
        for days_ago, sent, failed in ((9, 50, 50), (3, 2, 0), (1, 1, 1), (0, 7, 0)):
            notices.record_pass(
                s, _pass(demo_org_id(s), sent, failed), now - timedelta(days=days_ago)
            )
    text = admin.get("/admin/mail").get_data(as_text=True)
    assert re.search(r"Mails sent in the last seven days</dt><dd>3<", text)
    assert re.search(r"Mails that failed in the last seven days</dt><dd>1<", text)
    assert "working" in text
    when = now.replace(microsecond=0)
    with demo.sessions() as s, s.begin():
        notices.record_pass(
            s,
            _pass(demo_org_id(s), 3, 2, "550 5.1.1 <zhanar@example.kz> mailbox full"),
            when,
        )
    text = admin.get("/admin/mail").get_data(as_text=True)
    shown = format_datetime(when, "medium", tzinfo=ZoneInfo("Asia/Almaty"), locale="en")
    assert shown in text  # Kazakhstan time, as every page shows times
    assert "failing" in text and ">10<" not in text
    assert "550 5.1.1" in text and "mailbox full" in text
    assert "zhanar@example.kz" not in text
    # Only the admin has the page.
    for role in ("handler", "head", "auditor"):
        assert as_mail_role(role).get("/admin/mail").status_code == 403


def test_admin_and_auditor_are_told_they_receive_nothing(
    as_mail_role: Callable[[str], Browser],
) -> None:
    for role in ("admin", "auditor"):
        text = as_mail_role(role).get(PAGE).get_data(as_text=True)
        assert "Only handlers and heads receive notices." in text
    for role in ("handler", "head"):
        text = as_mail_role(role).get(PAGE).get_data(as_text=True)
        assert "Only handlers and heads receive notices." not in text
        assert f'href="{PAGE}"' in text  # in the navigation


# --- choices ------------------------------------------------------------------------------------


def test_choices_are_saved(demo: DemoInstance, as_mail_role: Callable[[str], Browser]) -> None:
    head = as_mail_role("head")
    head.get(PAGE)
    response = head.post(f"{PAGE}/choices", {"new_report": "y", "deadlines": "y", "language": "ru"})
    assert response.status_code == 303
    assert "Your notification settings are saved." in head.get(PAGE).get_data(as_text=True)
    user = _user(demo, "head")
    assert user.notices_off == "follow_up unopened protection_ending"
    assert user.mail_language == "ru"
    user.email, user.email_confirmed = ADDRESS, True
    assert notices.receives(user, "new_report") and notices.receives(user, "deadline_today")
    assert not notices.receives(user, "follow_up") and not notices.receives(user, "unopened")
    text = head.get(PAGE).get_data(as_text=True)
    assert re.search(r'name="new_report" type="checkbox" value="y"[^>]* checked', text) or (
        'checked id="new_report"' in text or re.search(r'id="new_report"[^>]*checked', text)
    )
    assert not re.search(r'id="follow_up"[^>]*checked', text)
    with demo.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.notices")).one()
        assert entry.details == {
            "off": ["follow_up", "unopened", "protection_ending"],
            "language": "ru",
        }

    # Everything back on.
    assert (
        head.post(f"{PAGE}/choices", {**dict.fromkeys(CHOICES_ON, "y"), "language": "en"})
    ).status_code == 303
    user = _user(demo, "head")
    assert (user.notices_off, user.mail_language) == ("", "en")


@pytest.mark.parametrize("language", ["xx", "", "k" * 5000])
def test_bad_language_is_refused(
    demo: DemoInstance, as_mail_role: Callable[[str], Browser], language: str
) -> None:
    head = as_mail_role("head")
    head.get(PAGE)
    response = head.post(f"{PAGE}/choices", {"new_report": "y", "language": language})
    assert response.status_code == 400
    assert "Please correct the fields marked below." in response.get_data(as_text=True)
    user = _user(demo, "head")
    assert (user.notices_off, user.mail_language) == ("", "kk")


def test_nobody_changes_another_persons_settings(
    demo: DemoInstance, inbox: Inbox, as_mail_role: Callable[[str], Browser]
) -> None:
    head_id = _user(demo, "head").id
    admin = as_mail_role("admin")
    admin.get(PAGE)
    # No route takes a user: a user id sent along is ignored and only one's own row changes.
    assert (
        admin.post(f"{PAGE}/choices", {"user_id": str(head_id), "language": "en"}).status_code
        == 303
    )
    assert (
        admin.post(
            f"{PAGE}/address", {"user_id": str(head_id), "address": "admin@example.kz"}
        ).status_code
        == 303
    )
    assert admin.post(f"{PAGE}/remove", {"user_id": str(head_id)}).status_code == 303
    head = _user(demo, "head")
    assert (head.notices_off, head.mail_language, head.email_pending) == ("", "kk", None)
    own = _user(demo, "admin")
    assert own.mail_language == "en" and own.notices_off.split() == list(CHOICES_ON)
    # Nor can anybody without a session, nor without the form's token.
    stranger = Browser(admin.app)
    response = stranger.post(f"{PAGE}/choices", {"language": "en"}, csrf=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert admin.post(f"{PAGE}/choices", {"language": "ru"}, csrf=False).status_code == 400
    assert _user(demo, "admin").mail_language == "en"


# --- the rules, without HTTP ------------------------------------------------------------------


def test_the_lists_agree() -> None:
    assert mail_address.LANGUAGES == LANGUAGES
    assert tuple(NOTICE_CHOICE_LABELS) == tuple(notices.CHOICES)


def test_address_checks() -> None:
    assert mail_address.validate_address(" a.b-c+d@mail.example.kz ") == "a.b-c+d@mail.example.kz"
    assert mail_address.validate_address("ж@пошта.қаз") == "ж@пошта.қаз"
    for bad in (
        "a@b",
        "a b@c.kz",
        "a@b.kz\u200b",
        "a@b.kz\nBcc: c@d.kz",
        "<a@b.kz>",
        "a@[1.2.3.4]",
        # An encoded word: the mail library would decode it into another recipient.
        "=?utf-8?q?bob=40evil=2Ecom=2C_x?=@b.kz",
    ):
        with pytest.raises(AdalError) as caught:
            mail_address.validate_address(bad)
        assert caught.value.area == mail_address.AREA


def test_codes_are_capped_per_day_whatever_happens_in_between(
    demo: DemoInstance, as_mail_role: Callable[[str], Browser], inbox: Inbox
) -> None:
    """Set and remove an address in a loop (each removal allows the next code at once): the
    mail server sends five codes a day to whatever address, then no more."""
    handler = as_mail_role("handler")
    for _round in range(mail_address.CODES_PER_DAY):
        assert handler.post(f"{PAGE}/address", {"address": ADDRESS}).status_code == 303
        assert handler.post(f"{PAGE}/remove").status_code == 303
    refused = handler.post(f"{PAGE}/address", {"address": ADDRESS})
    assert refused.status_code == 400
    assert "No more codes can be sent today" in refused.get_data(as_text=True)
    assert len(inbox.mails) == mail_address.CODES_PER_DAY


def test_the_last_try_cannot_be_used_twice_by_requests_at_once(demo: DemoInstance) -> None:
    """Two requests that loaded the account before either counted its try: the count is kept
    in the database, so the second finds no try left instead of checking a sixth code (found by
    review: 300 parallel wrong codes got 58 checks)."""
    now = utcnow()
    with demo.sessions() as s, s.begin():
        user = s.scalars(select(User).where(User.role == "handler")).first()
        assert user is not None
        code = mail_address.request_code(s, user, ADDRESS, now)
        user.email_code_attempts = mail_address.MAX_ATTEMPTS - 1
        user_id = user.id
    stale = demo.sessions()
    late = stale.get(User, user_id)
    assert late is not None and late.email_code_attempts == mail_address.MAX_ATTEMPTS - 1
    with demo.sessions() as s, s.begin():
        first = s.get(User, user_id)
        assert first is not None
        with pytest.raises(AdalError) as caught:
            mail_address.confirm_code(s, first, "000000x", now)
        assert caught.value.code == "locked"
    # Even the right code: the fifth try is spent.
    with pytest.raises(AdalError) as caught:
        mail_address.confirm_code(stale, late, code, now)
    assert caught.value.code == "locked"
    stale.rollback()
    stale.close()


def test_a_reset_forgets_the_address(
    demo: DemoInstance, as_mail_role: Callable[[str], Browser]
) -> None:
    """After an admin's reset the account may change hands: notices stop going to the old
    person's address, and the new holder does not see it."""
    for reset in ("reset-password", "reset-two-factor"):
        with demo.sessions() as s, s.begin():
            user = s.scalars(select(User).where(User.role == "handler")).first()
            assert user is not None
            user.email, user.email_confirmed = ADDRESS, True
            user_id = user.id
        admin = as_mail_role("admin")
        assert admin.post(f"/admin/users/{user_id}/{reset}").status_code in (200, 303)
        with demo.sessions() as s:
            user = s.get(User, user_id)
            assert user is not None and (user.email, user.email_confirmed) == (None, False)


def test_an_organization_name_holds_no_address(
    demo: DemoInstance, as_mail_role: Callable[[str], Browser]
) -> None:
    """The name is written into every notice mail: an admin cannot put a sign-in link there."""
    admin = as_mail_role("admin")
    form = admin.get("/admin/settings").get_data(as_text=True)
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form))
    for name in (
        "Вход перенесён: https://evil.example/login",
        "см. www.evil.kz",
        "evil.kz",
        "пишите admin@evil.kz",
    ):
        response = admin.post("/admin/settings", {**fields, "organization_name": name})
        assert response.status_code == 400, name
        assert "cannot contain a web or e-mail address" in response.get_data(as_text=True)
    fine = "ГУ «Управление образования г. Астаны»"
    assert admin.post("/admin/settings", {**fields, "organization_name": fine}).status_code == 303
