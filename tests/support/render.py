"""Every page state both apps can show, rendered through the Flask test client in one language.

The HTML checker reads these. Each page is reached the way a person reaches it (a GET, a form
sent with mistakes, a sign-in …) and its status is checked, so a page that should show the form
with errors cannot silently be a crash page instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from cases import custody, messages
from cases.staff import create_user
from portal.forms import LONG_TEXT
from store.models import Mailbox, Submission, User
from tests.support.backoffice import login_fields
from tests.support.instance import DemoInstance, demo_org_id

BASE = "https://adal.test"  # the production cookies are Secure and __Host-
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NONCE = re.compile(r'name="nonce"[^>]*value="([^"]+)"')
_CODE = re.compile(r'class="code"[^>]*><strong>([0-9 ]+)</strong>')


@dataclass(frozen=True)
class Page:
    app: str
    lang: str
    name: str
    status: int
    html: str

    @property
    def filename(self) -> str:
        return f"{self.app}-{self.lang}-{self.name}.html"


class Visitor:
    """A test client over HTTPS that remembers the last CSRF token it was shown."""

    def __init__(self, app: Flask, name: str, lang: str) -> None:
        self.client: FlaskClient = app.test_client()
        self.app_name = name
        self.lang = lang
        self.token = ""
        self.pages: list[Page] = []
        self.get(f"/lang/{lang}?next=/")

    def _seen(self, response: TestResponse) -> TestResponse:
        if response.mimetype == "text/html":
            found = _CSRF.search(response.get_data(as_text=True))
            if found:
                self.token = found.group(1)
        return response

    def get(self, path: str) -> TestResponse:
        return self._seen(self.client.get(path, base_url=BASE))

    def post(
        self, path: str, data: dict[str, Any], *, multipart: bool = False, token: bool = True
    ) -> TestResponse:
        body = {"csrf_token": self.token, **data} if token else dict(data)
        kwargs: dict[str, Any] = {"content_type": "multipart/form-data"} if multipart else {}
        return self._seen(self.client.post(path, data=body, base_url=BASE, **kwargs))

    def keep(self, name: str, response: TestResponse, status: int) -> str:
        html = response.get_data(as_text=True)
        assert response.status_code == status, (
            f"{self.app_name} {name} [{self.lang}]: status {response.status_code}, expected "
            f"{status}:\n{html[:1500]}"
        )
        assert response.mimetype == "text/html", (name, response.mimetype)
        self.pages.append(Page(self.app_name, self.lang, name, status, html))
        return html

    def page(self, name: str, path: str, status: int = 200) -> str:
        return self.keep(name, self.get(path), status)


# --- the portal ------------------------------------------------------------------------------


def _report_form(visitor: Visitor) -> dict[str, Any]:
    html = visitor.get("/report").get_data(as_text=True)
    nonce = _NONCE.search(html)
    assert nonce, "no nonce on the report form"
    return {"nonce": nonce.group(1), "facts": "Бастық пара сұрады.", "acknowledge": "y"}


def portal_pages(app: Flask, lang: str, code: str) -> list[Page]:
    """`code` opens a mailbox whose thread has a reply and a follow-up with a file."""
    v = Visitor(app, "portal", lang)
    v.page("landing", "/")
    v.page("rights", "/rights")
    v.page("report", "/report")
    v.keep(
        "report-errors",
        v.post("/report", {"facts": "", "full_name": "Имя без согласия"}, multipart=True),
        422,
    )
    # The language buttons post the typed form back in the chosen language (the pass's own).
    v.keep(
        "report-language",
        v.post(f"/report/language/{lang}", {"facts": "Не болғаны", "files": "a.pdf"}),
        200,
    )
    v.keep(
        "report-expired",
        v.post("/report", {**_report_form(v), "csrf_token": "stale"}, multipart=True, token=False),
        400,
    )
    form = _report_form(v)
    v.keep(
        "receipt",
        v.post("/report", {**form, "files": (BytesIO(b"x"), "a.txt")}, multipart=True),
        200,
    )
    v.keep("already-sent", v.post("/report", form, multipart=True), 409)
    v.keep(
        "field-too-large",
        v.post("/report", {**_report_form(v), "facts": "ә" * 300_000}, multipart=True),
        413,
    )
    v.keep(
        "malformed-upload",
        v.client.post("/report", data=b"facts=1", base_url=BASE, content_type="text/plain"),
        400,
    )
    v.page("mailbox-login", "/mailbox")
    v.keep("mailbox-login-empty", v.post("/mailbox/login", {"code": ""}), 422)
    v.keep(
        "mailbox-login-typo", v.post("/mailbox/login", {"code": "1234 5678 9012 3456 7890"}), 422
    )
    v.keep("mailbox-login-expired", v.post("/mailbox/login", {"code": code}, token=False), 400)
    assert v.post("/mailbox/login", {"code": code}).status_code == 303
    v.page("mailbox", "/mailbox")
    v.keep("mailbox-reply-empty", v.post("/mailbox/reply", {"text": ""}, multipart=True), 422)
    v.keep("mailbox-language", v.post(f"/mailbox/language/{lang}", {"text": "Толықтыру"}), 200)
    v.keep(
        "mailbox-reply-too-long",
        v.post("/mailbox/reply", {"text": "a" * (LONG_TEXT + 1)}, multipart=True),
        422,
    )
    v.keep("logged-out", v.post("/mailbox/logout", {}), 200)
    v.keep(
        "mailbox-reply-closed",
        v.post("/mailbox/reply", {"text": "Кейін жазамын."}, multipart=True),
        400,
    )
    v.page("not-found", "/no/such/page", 404)
    v.keep("method-not-allowed", v.client.delete("/report", base_url=BASE), 405)
    return v.pages


def seed_mailbox(app: Flask, demo: DemoInstance) -> tuple[str, str]:
    """A report with a handler's reply and a follow-up with a file; (code, submission id)."""
    v = Visitor(app, "portal", "kk")
    response = v.post(
        "/report", {**_report_form(v), "files": (BytesIO(b"%PDF"), "акт.pdf")}, multipart=True
    )
    found = _CODE.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:1000]
    code = found.group(1)
    with demo.sessions() as db, db.begin():
        submission = db.scalars(select(Submission).join(Mailbox).order_by(Submission.id)).first()
        assert submission is not None
        messages.reply(db, submission, "Қашан? Когда?", datetime.now(UTC))
        submission_id = submission.id
    v.get("/mailbox")
    assert v.post("/mailbox/login", {"code": code}).status_code == 303
    v.get("/mailbox")
    sent = v.post(
        "/mailbox/reply",
        {"text": "12 наурыз.", "files": (BytesIO(b"evidence"), "дәлел.txt")},
        multipart=True,
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)[:1000]
    return code, submission_id


def organization_pages(app: Flask, lang: str) -> list[Page]:
    """The search, the tree, the pages, the poster and the report form of an installation
    with several organizations (tests.support.org_tree's tree added to the demo's)."""
    v = Visitor(app, "portal", lang)
    v.page("organizations", "/organizations")
    v.page("organizations-search", "/organizations?q=" + quote("Денсаулық"))
    v.page("organizations-search-none", "/organizations?q=" + quote("ничего такого"))
    v.page("organizations-search-empty", "/organizations?q=", 422)
    v.page("organizations-search-too-long", "/organizations?q=" + "ы" * 200, 422)
    v.page("organization", "/o/health")
    v.page("organization-child", "/o/health-control")
    v.page("organization-leaf", "/o/health-control-almaty")
    v.page("organization-not-found", "/o/no-such-body", 404)
    v.page("poster", "/o/health-control/poster")
    v.page("report-choose-first", "/report")
    v.page("report-for-root", "/o/health/report")
    v.page("report-for-organization", "/o/health-control/report")
    v.keep(
        "report-for-organization-errors",
        v.post("/report", {"org": "health-control", "to": "health", "facts": ""}, multipart=True),
        422,
    )
    v.keep(
        "report-no-destination",
        v.post("/report", {"org": "health-control", "to": "finance", "facts": "x"}, multipart=True),
        422,
    )
    return v.pages


# --- the back office -------------------------------------------------------------------------


@dataclass
class Staff:
    """Signed-in visitors, one per role, reused for every language (each TOTP step counts
    once), plus a new account that has not set up two-factor sign-in yet."""

    visitors: dict[str, Visitor]
    newcomer: Visitor
    newcomer_password: str


def sign_in(app: Flask, demo: DemoInstance, role: str) -> Visitor:
    v = Visitor(app, "backoffice", "kk")
    v.get("/login")
    response = v.post("/login", login_fields(demo, role))
    assert response.status_code == 303, f"{role} cannot sign in: {response.status_code}"
    v.get(response.headers["Location"])
    return v


def staff(app: Flask, demo: DemoInstance) -> Staff:
    visitors = {role: sign_in(app, demo, role) for role in ("handler", "head", "admin", "auditor")}
    with demo.sessions() as db, db.begin():
        created = create_user(
            db,
            username="newcomer",
            full_name="Жаңа Қызметкер",
            role="handler",
            org_id=demo_org_id(db),
            instance_secret=demo.instance.secret_key,
            kdf=demo.instance.kdf,
        )
        password = created.password
        # A head whose key awaits approval: the heads' pages show the notice and the button.
        pending = create_user(
            db,
            username="pending-head",
            full_name="Жаңа Басшы",
            role="head",
            org_id=demo_org_id(db),
            instance_secret=demo.instance.secret_key,
            kdf=demo.instance.kdf,
        )
        custody.announce(db, pending.user, actor="demo-admin", reset=False)
    newcomer = Visitor(app, "backoffice", "kk")
    newcomer.get("/login")
    return Staff(visitors, newcomer, password)


def _in(visitor: Visitor, lang: str) -> Visitor:
    """The same signed-in visitor, switched to `lang` with the language link."""
    visitor.lang = lang
    visitor.pages = []
    visitor.get(f"/lang/{lang}?next=/")
    return visitor


def backoffice_pages(
    app: Flask, team: Staff, lang: str, submission_id: str, demo: DemoInstance
) -> list[Page]:
    out = Visitor(app, "backoffice", lang)
    out.page("login", "/login")
    out.keep(
        "login-failed",
        out.post("/login", {"username": "nobody", "password": "x", "code": "123456"}),
        401,
    )
    out.keep(
        "login-expired",
        out.post("/login", {"username": "nobody", "password": "x"}, token=False),
        400,
    )
    out.page("not-found-signed-out", "/no/such/page", 404)
    pages = out.pages

    new = _in(team.newcomer, lang)
    # Two-factor set-up is part of the first sign-in (issue 12): the login page shows it.
    first = {"username": "newcomer", "password": team.newcomer_password}
    new.keep("enrol", new.post("/login", {**first, "code": ""}), 200)
    new.keep("enrol-errors", new.post("/login", {**first, "code": "000000"}), 400)
    pages += new.pages

    h = _in(team.visitors["handler"], lang)
    case = f"/cases/{submission_id}"
    h.page("inbox", "/inbox")
    h.page("inbox-closed", "/inbox?show=closed")
    h.page("inbox-filtered", "/inbox?status=new&deadline=overdue&assignee=mine&sort=deadline")
    h.page("case", case)
    h.keep("reply-errors", h.post(f"{case}/reply", {"text": ""}), 400)
    # Issue 15: a note in the case's history, a refused link, the search page and its errors.
    assert h.post(f"{case}/notes", {"note": "Заметка · ескертпе"}).status_code == 303
    h.page("case-with-note", case)
    h.keep("link-refused", h.post(f"{case}/links", {"other": "ffffffff"}), 404)
    h.page("search", "/search")
    h.page("search-results", "/search?q=" + quote("заметка"))
    h.page("search-errors", "/search?q=x", 400)
    h.page("register", "/register")
    h.keep(
        "register-errors",
        h.post(
            "/register",
            {"channel": "hotline", "facts": "", "received_at": "1999-01-01T10:00"},
            multipart=True,
        ),
        400,
    )
    h.page("deadlines", "/deadlines")
    h.page("deadlines-overdue", "/deadlines?state=overdue")
    h.page("appendix1", f"{case}/appendix1")
    letter_lang = "kk" if lang == "kk" else "ru"
    h.page("letter-cover", f"{case}/letters/confirmation_cover/{letter_lang}")
    h.keep(
        "letter-cover-errors",
        h.post(f"{case}/letters/confirmation_cover/{letter_lang}", {"body": "", "fmt": "html"}),
        400,
    )
    h.keep(
        "letter-cover-print",
        h.post(
            f"{case}/letters/confirmation_cover/{letter_lang}",
            {"addressee": "Ұйым\nМекеме", "body": "Бірінші.\n\nЕкінші.", "fmt": "html"},
        ),
        200,
    )
    h.page("appendix2-print", f"/documents/appendix/2/{'kk' if lang == 'kk' else 'ru'}/html")
    h.page("appendix3-print", f"/documents/appendix/3/{'kk' if lang == 'kk' else 'ru'}/html")
    h.page("password", "/account/password")
    h.keep(
        "password-errors",
        h.post("/account/password", {"current": "x", "new": "short", "confirm": "other"}),
        400,
    )
    h.page("notifications", "/account/notifications")
    h.keep(
        "notifications-errors",
        h.post("/account/notifications/confirm", {"code": "12345678901234567"}),
        400,
    )
    h.page("forbidden", "/admin/users", 403)
    h.page("not-found", "/no/such/page", 404)
    h.page("case-not-held", "/cases/" + "0" * 32, 404)
    h.keep("csrf-error", h.post(f"{case}/reply", {"text": "x"}, token=False), 400)
    pages += h.pages

    head = _in(team.visitors["head"], lang)
    head.page("case-as-head", case)
    head.page("identity", f"{case}/identity")
    head.page("statistics", "/statistics")
    head.page("journal", "/journal")
    head.page("journal-errors", "/journal?since=2026-12-31&until=2026-01-01", 400)
    head.page("handover", "/handover")
    head.page("disclosure", f"{case}/disclosure")
    head.page("identity-record", f"{case}/identity/record")
    head.page("head-keys", "/head-keys")
    pages += head.pages

    auditor = _in(team.visitors["auditor"], lang)
    auditor.page("audit", "/audit")
    auditor.page("audit-verify", "/audit/verify")
    auditor.page("journal-as-auditor", "/journal")
    pages += auditor.pages

    admin = _in(team.visitors["admin"], lang)
    admin.page("users", "/admin/users")
    with demo.sessions() as db:
        handler_id = db.scalars(select(User.id).where(User.role == "handler")).first()
    admin.page("user", f"/admin/users/{handler_id}")
    admin.page("user-new", "/admin/users/new")
    admin.keep(
        "user-new-errors",
        admin.post("/admin/users/new", {"username": "x", "full_name": "", "role": "nobody"}),
        400,
    )
    admin.keep(
        "user-created",
        admin.post(
            "/admin/users/new",
            {"username": f"auditor-{lang}", "full_name": f"Аудитор {lang}", "role": "auditor"},
        ),
        200,
    )
    admin.page("settings", "/admin/settings")
    admin.page("calendar", "/admin/calendar")
    admin.page("mail", "/admin/mail")
    # What a browser sends: a number input whose text is not a number is submitted empty.
    admin.keep(
        "settings-errors",
        admin.post(
            "/admin/settings",
            {"organization_name": "Ұйым", "lockout_max_failures": "1", "lockout_minutes": ""},
        ),
        400,
    )
    pages += admin.pages
    return pages
