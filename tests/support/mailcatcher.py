"""A real SMTP server on loopback for the notification tests (issue 14), and the check that no
mail carries a marker of a report.

`smtp` starts an aiosmtpd server whose handler records every mail it accepts and lets a test
act at each step of the conversation (kill the worker on EHLO, before or after answering DATA,
refuse a command). Every server a test starts hands its mails to `mail_guard`, which checks at
teardown, for every mail of the test, that none carries a marker of a report submitted in it:
its text, the reporter's identity, unit and position, file names, the channel, the case
(submission) id, the receipt code or the exact time it was submitted.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from adal_cli import notify
from adal_cli.context import Context
from bench import loopback
from cases import notices
from handler.config import HandlerConfig
from rules.clock import to_local
from store.models import Notice, User
from tests.support.backoffice import PortalReport, store_portal_report
from tests.support.instance import DemoInstance

FROM = "adal-notices@example.kz"
BACKOFFICE = "https://backoffice.example.kz"
SMTP_USER = "adal-mailer"
ADAL = str(Path(sys.executable).parent / "adal")

# The demo's staff; only handlers and heads receive notices.
RECEIVERS = ("handler", "head")
STAFF = ("handler", "head", "admin", "auditor")


@dataclass
class Mail:
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def body(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self, *, with_send_time: bool = True) -> str:
        """Every header (decoded) and the body; without the headers that carry the moment the
        mail was sent (Date, Message-ID), which is the batching window's time, not a report's."""
        message = self.message
        skip = () if with_send_time else ("date", "message-id")
        headers = [f"{k}: {v}" for k, v in message.items() if k.lower() not in skip]
        return "\n".join([*headers, self.body])


Hook = Callable[[], Any]


async def _call(hook: Hook) -> Any:
    """Run a hook: a plain function blocks the server (fine for one client), a coroutine
    function lets other connections go on meanwhile."""
    result = hook()
    return await result if inspect.isawaitable(result) else result


class Recorder:
    """An aiosmtpd handler that keeps what it accepted. A test sets `on_ehlo`, `before_data`
    (the mail is not kept; whatever it returns other than None is the answer) or `after_data`
    (the mail is kept, then this runs, then 250) to act at that point."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()
        self.on_ehlo: Hook | None = None
        self.before_data: Hook | None = None
        self.after_data: Hook | None = None
        self.mail_answer: str | None = None  # e.g. "550 ..." to refuse MAIL FROM
        self.refused: set[str] = set()  # recipients answered 550, quoting the address

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if self.on_ehlo is not None:
            await _call(self.on_ehlo)
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.mail_answer is not None:
            return self.mail_answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.before_data is not None:
            answer = await _call(self.before_data)
            if answer is not None:
                return str(answer)
        with self.lock:
            self.mails.append(Mail(list(envelope.rcpt_tos), bytes(envelope.content)))
        if self.after_data is not None:
            await _call(self.after_data)
        return "250 OK"

    def taken(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.taken()
            if len(mails) >= count:
                return mails
            time.sleep(0.02)
        raise AssertionError(f"expected {count} mail(s), got {len(self.taken())}")


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Markers:
    """What no mail may contain: `always` anywhere in it, `times` anywhere but the headers that
    carry the mail's own sending time."""

    always: set[str] = field(default_factory=set)
    times: set[str] = field(default_factory=set)
    mails: list[Mail] = field(default_factory=list)
    servers: list[SmtpServer] = field(default_factory=list)

    def report(self, demo: DemoInstance, **kwargs: Any) -> PortalReport:
        """store_portal_report, with its markers registered."""
        before = datetime.now().astimezone()
        report = store_portal_report(demo, **kwargs)
        after = datetime.now().astimezone()
        self.submitted(report.submission_id, before, after)
        facts = kwargs.get("facts", "The head of procurement asked for a bribe.")
        self.always |= {facts, "Н. Н. Иванов", "Иванов", "руководитель отдела", "отдел закупок"}
        self.always |= {"200 000 тенге", "март 2026", "Астана", "portal", "портал"}
        for name, _type, _data in kwargs.get("files") or []:
            self.always.add(name)
        for value in (kwargs.get("identity") or {}).values():
            self.always.add(value)
        return report

    def submitted(self, submission_id: str, before: datetime, after: datetime) -> None:
        self.always.add(submission_id)
        for moment in (before, after):
            for shown in (
                moment,
                to_local(moment),
                moment.astimezone(datetime.now().astimezone().tzinfo),
            ):
                self.times |= {shown.strftime("%H:%M"), shown.strftime("%H.%M")}
            self.always.add(moment.isoformat(timespec="seconds")[:16])

    def check(self) -> None:
        problems = []
        for mail in self.mails:
            whole = mail.text().casefold()
            raw = mail.content.decode("utf-8", "replace").casefold()
            no_time = mail.text(with_send_time=False).casefold()
            for marker in self.always:
                if marker.casefold() in whole or marker.casefold() in raw:
                    problems.append((marker, mail.text()))
            for marker in self.times:
                if marker.casefold() in no_time:
                    problems.append((marker, mail.text()))
        assert problems == [], problems


@pytest.fixture
def mail_guard() -> Iterator[Markers]:
    markers = Markers()
    yield markers
    for server in markers.servers:
        markers.mails += server.recorder.taken()
    markers.check()


def start_smtp(
    markers: Markers, *, port: int | None = None, password: str | None = None
) -> SmtpServer:
    """An SMTP server on loopback; with `password`, it requires a login and takes only that
    password for SMTP_USER."""
    recorder = Recorder()
    kwargs: dict[str, Any] = {}
    if password is not None:

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and data.login == SMTP_USER.encode()
                and data.password == password.encode()
            )
            return AuthResult(success=ok, handled=False)

        # AUTH offered without TLS (loopback); the worker logs in whenever it has a user.
        kwargs = {"authenticator": authenticator, "auth_require_tls": False}
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port or loopback.free_port(), **kwargs
    )
    controller.start()
    server = SmtpServer(controller.port, recorder, controller)
    markers.servers.append(server)
    return server


@pytest.fixture
def smtp(mail_guard: Markers) -> Iterator[SmtpServer]:
    server = start_smtp(mail_guard)
    yield server
    server.stop()


def mail_env(port: int, **extra: str) -> dict[str, str]:
    """What `adal notify` reads, on top of the demo's ADAL_INSTANCE and ADAL_DATABASE_URL."""
    return {
        "ADAL_SMTP_HOST": "127.0.0.1",
        "ADAL_SMTP_PORT": str(port),
        "ADAL_SMTP_SECURITY": "none",
        "ADAL_MAIL_FROM": FROM,
        "ADAL_BACKOFFICE_URL": BACKOFFICE,
        "ADAL_NOTIFY_WINDOW_MINUTES": "0",
        **extra,
    }


def run_pass(demo: DemoInstance, port: int, now: datetime, **extra: str) -> notices.Pass | None:
    """One pass in this process, as `adal notify --once` makes it, at `now`."""
    ctx = Context(demo.instance)
    try:
        return notify.one_pass(ctx, HandlerConfig.from_env(mail_env(port, **extra)), now)
    finally:
        ctx.engine.dispose()


def start_worker(port: int, **extra: str) -> subprocess.Popen[str]:
    """`adal notify --once` in a process of its own, on the demo the environment names."""
    env = {**os.environ, **mail_env(port, **extra)}
    return subprocess.Popen(
        [ADAL, "notify", "--once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def addresses(
    demo: DemoInstance, roles: tuple[str, ...] = STAFF, language: str = "en"
) -> dict[str, str]:
    """Give these demo users a confirmed address; returns {role: address}."""
    creds = demo.credentials()
    out = {}
    with demo.sessions() as s, s.begin():
        for role in roles:
            user = s.scalars(select(User).where(User.username == creds[role]["username"])).one()
            user.email = f"{user.username}@example.kz"
            user.email_confirmed = True
            user.mail_language = language
            out[role] = user.email
    return out


def by_address(mails: list[Mail]) -> dict[str, list[Mail]]:
    out: dict[str, list[Mail]] = {}
    for mail in mails:
        for rcpt in mail.rcpt_tos:
            out.setdefault(rcpt, []).append(mail)
    return out


def ledger(demo: DemoInstance) -> list[Notice]:
    with demo.sessions() as s:
        return list(s.scalars(select(Notice)))


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err
