"""Headless Chromium (Debian's) against the real servers, and the tours of their pages.

The tours are generators: each brings a Playwright page to the next state a person would see
(landing page, a form returned with errors, the receipt, the mailbox …) and yields its name, so
the same walk serves the screenshots, the layout checks and axe. They only click, type and
submit, so they work the same with JavaScript off (as reporters use the portal) and on (where
the harness injects axe).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import select

from bench import loopback as servers
from cases import messages
from store.models import Mailbox, Submission
from tests.support import needs
from tests.support.backoffice import login_fields
from tests.support.instance import DemoInstance, Template, copy_template, open_demo

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking switches Chromium keeps calling Google's hosts, which this closed
# network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = servers.ROOT / "test-artifacts"
LANGUAGES = ("kk", "ru", "en")
WIDTHS = (360, 1280)
HEIGHT = 800
# The scroll check, run through CDP: it works in a context whose page scripts are off.
OVERFLOW_JS = (
    "(() => { const e = document.scrollingElement; return [e.scrollWidth, e.clientWidth]; })()"
)
RECEIPT_CODE = re.compile(r"^\d{4}( \d{4}){4}$")


@contextmanager
def chromium() -> Iterator[Browser]:
    needs.file(
        CHROMIUM,
        "Debian's chromium",
        "apt-get install chromium (scripts/system-deps.sh does it in CI)",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def reporter_context(browser: Browser, width: int = 1280) -> BrowserContext:
    """What a reporter has: Tor Browser at "Safest", i.e. no JavaScript at all."""
    return browser.new_context(
        java_script_enabled=False, viewport={"width": width, "height": HEIGHT}
    )


def inspector_context(browser: Browser, width: int = 1280) -> BrowserContext:
    """JavaScript on and the CSP bypassed, only so the harness can inject axe; the pages
    themselves still carry no script."""
    return browser.new_context(
        java_script_enabled=True, bypass_csp=True, viewport={"width": width, "height": HEIGHT}
    )


def horizontal_overflow(page: Page) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the document, read over CDP."""
    cdp = page.context.new_cdp_session(page)
    try:
        result = cdp.send("Runtime.evaluate", {"expression": OVERFLOW_JS, "returnByValue": True})
    finally:
        cdp.detach()
    scroll, client = result["result"]["value"]
    return int(scroll), int(client)


# --- the site: an instance, a portal and a back office ------------------------------------


@dataclass
class Site:
    demo: DemoInstance
    portal: servers.Server
    handler: servers.Server
    # A report with a handler's reply and a follow-up, for the mailbox and case pages.
    seed_code: str = ""
    seed_submission: str = ""

    def credentials(self, role: str) -> dict[str, str]:
        return self.demo.credentials()[role]


@contextmanager
def running_site(folder: Path, log_dir: Path, template: Template) -> Iterator[Site]:
    """A copy of the demo template served by a real portal and back office."""
    servers.compile_translations()
    url, database = copy_template(template, folder / "instance")
    demo = open_demo(folder / "instance", url, template.init_output)
    # The portal's public address is configured, as in a deployment: the poster draws its QR
    # code from it, never from a request's Host header.
    port = servers.free_port()
    public = {"ADAL_PUBLIC_URL": f"http://127.0.0.1:{port}/"}
    try:
        with servers.serving(
            servers.launch("portal", demo.path, url, log_dir, port=port, extra_env=public),
            servers.launch("handler", demo.path, url, log_dir),
        ) as (portal, handler):
            site = Site(demo, portal, handler)
            seed(site)
            yield site
    finally:
        demo.engine.dispose()
        if database:
            servers.drop_database(database)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NONCE = re.compile(r'name="nonce"[^>]*value="([^"]+)"')
_RECEIPT = re.compile(r'class="code"[^>]*><strong>([0-9 ]+)</strong>')


def submit_report(
    portal_url: str,
    facts: str,
    files: list[tuple[str, bytes, str]] | None = None,
    http: requests.Session | None = None,
) -> str:
    """A report through the portal's real form over HTTP; returns the receipt code."""
    http = http or requests.Session()
    page = http.get(f"{portal_url}/report", timeout=30).text
    token = _CSRF.search(page)
    nonce = _NONCE.search(page)
    assert token and nonce, "the report form has no CSRF token or nonce"
    # Token first, as the browser sends it: files are accepted only after a valid token.
    fields = [
        ("csrf_token", (None, token.group(1))),
        ("nonce", (None, nonce.group(1))),
        ("facts", (None, facts)),
        ("acknowledge", (None, "y")),
    ]
    for name, data, ctype in files or []:
        fields.append(("files", (name, data, ctype)))
    response = http.post(f"{portal_url}/report", files=fields, timeout=60)
    found = _RECEIPT.search(response.text)
    assert response.status_code == 200 and found, (response.status_code, response.text[:500])
    return found.group(1)


def seed(site: Site) -> None:
    """One report with a reply from the back office (its own casework code) and a
    follow-up with a file from the mailbox, so every thread element has something to show."""
    code = submit_report(
        site.portal.url,
        "Бөлім басшысы қолы үшін ақша талап етеді.",
        [("шот.txt", "Шот-фактура №17".encode(), "text/plain")],
    )
    with site.demo.sessions() as db, db.begin():
        submission = db.scalars(select(Submission).join(Mailbox)).one()
        messages.reply(
            db, submission, "Ақша қашан берілді? Когда были переданы деньги?", datetime.now(UTC)
        )
        site.seed_submission = submission.id
    http = requests.Session()
    page = http.get(f"{site.portal.url}/mailbox", timeout=30).text
    token = _CSRF.search(page)
    assert token
    login = http.post(
        f"{site.portal.url}/mailbox/login",
        data={"csrf_token": token.group(1), "code": code},
        timeout=30,
    )
    assert login.status_code == 200 and "thread" in login.text, login.status_code
    token = _CSRF.search(login.text)
    assert token
    sent = http.post(
        f"{site.portal.url}/mailbox/reply",
        files=[
            ("csrf_token", (None, token.group(1))),
            ("text", (None, "12 наурызда берілді.")),
            ("files", ("түбіртек.pdf", b"%PDF-1.4 receipt", "application/pdf")),
        ],
        timeout=30,
    )
    assert sent.status_code == 200, sent.status_code
    site.seed_code = code


# --- what the fixtures of tests/e2e and tests/quality yield ---------------------------------
# Package scope there: each directory gets its own Chromium and site, and the first is closed
# before the second starts; Playwright's sync API allows only one running instance per thread.


@pytest.fixture(scope="package")
def chrome() -> Iterator[Browser]:
    """Imported by the conftest of each browser-test directory: one Chromium per directory."""
    yield from package_chrome()


@pytest.fixture(scope="package")
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Template,
) -> Iterator[Site]:
    """Imported by the conftest of each browser-test directory: one site per directory."""
    yield from package_site(request, tmp_path_factory, demo_template)


def package_chrome() -> Iterator[Browser]:
    if needs.POSTGRES_PASS:
        pytest.skip(needs.ONCE_REASON)
    with chromium() as browser:
        yield browser


def package_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, template: Template
) -> Iterator[Site]:
    """One instance with a portal and a back office for a whole test directory: starting them
    costs seconds, and the tests only add reports to it."""
    if needs.POSTGRES_PASS:
        pytest.skip(needs.ONCE_REASON)
    folder = tmp_path_factory.mktemp("site")
    # One folder per xdist worker: a site another worker runs for the same directory (pytest
    # may set a package fixture up again after its tests were interleaved with others) must not
    # lose its open log files to this one's clean-up.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    logs = ARTIFACTS / "logs" / Path(str(request.node.path)).name / worker
    shutil.rmtree(logs, ignore_errors=True)  # only this run's logs stay behind
    with running_site(folder, logs, template) as running:
        yield running
        problems = running.portal.problems() + running.handler.problems()
    assert not problems, "the servers logged failures:\n" + "\n".join(problems)


# --- tours ---------------------------------------------------------------------------------


def choose_language(page: Page, lang: str) -> None:
    """Switch with the page's own language control, as a person would: a link, or on a page
    with a form a button that carries what was typed."""
    with page.expect_navigation():
        page.click(f'header a[hreflang="{lang}"], header button[lang="{lang}"]')


def submit(page: Page, form: str) -> None:
    """Press the form's submit button and wait for the answer page."""
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


PORTAL_PAGES = (
    "landing",
    "rights",
    "report",
    "report-errors",
    "receipt",
    "mailbox-login",
    "mailbox-login-empty",
    "mailbox-login-errors",
    "mailbox",
    "mailbox-reply-errors",
    "logged-out",
    "not-found",
)


def portal_tour(page: Page, site: Site, lang: str) -> Iterator[str]:
    """Every page of the portal (PORTAL_PAGES), as a reporter reaches it, in `lang`."""
    page.goto(site.portal.url + "/")
    choose_language(page, lang)
    yield "landing"
    page.goto(site.portal.url + "/rights")
    yield "rights"
    page.goto(site.portal.url + "/report")
    yield "report"
    submit(page, 'form[action="/report"]')  # nothing filled in: the form comes back
    yield "report-errors"
    page.fill("#facts", "Тест: " + lang)
    page.check("#acknowledge")
    submit(page, 'form[action="/report"]')
    code = page.inner_text(".code strong").strip()
    assert RECEIPT_CODE.match(code), f"receipt page shows no receipt code: {code!r}"
    yield "receipt"
    page.goto(site.portal.url + "/mailbox")
    yield "mailbox-login"
    submit(page, 'form[action="/mailbox/login"]')  # no code at all
    yield "mailbox-login-empty"
    page.fill("#code", "1234 5678")
    submit(page, 'form[action="/mailbox/login"]')
    yield "mailbox-login-errors"
    page.fill("#code", site.seed_code)
    submit(page, 'form[action="/mailbox/login"]')
    yield "mailbox"
    submit(page, 'form[action="/mailbox/reply"]')  # empty: "write a message or attach a file"
    yield "mailbox-reply-errors"
    submit(page, 'form[action="/mailbox/logout"]')
    yield "logged-out"
    page.goto(site.portal.url + "/no-such-page")
    yield "not-found"


def staff_sign_in(page: Page, site: Site, role: str) -> None:
    fields = login_fields(site.demo, role)
    page.goto(site.handler.url + "/login")
    for name in ("username", "password", "code"):
        page.fill(f"#{name}", fields[name])
    submit(page, 'form[action="/login"]')
    assert "/login" not in page.url, f"{role} could not sign in: {page.url}"


def no_browser_validation(page: Page) -> None:
    """Let an incomplete form reach the server, whose answer with errors is what we check."""
    page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; })")


def _stops(page: Page, base: str, *stops: tuple[str, str]) -> Iterator[str]:
    """Go to each path in turn and yield the name of the page."""
    for path, name in stops:
        page.goto(base + path)
        yield name


def _empty_form(
    page: Page, base: str, stop: tuple[str, str], form: str, errors: str
) -> Iterator[str]:
    """A page with a form, then the form sent empty past the browser's own checks."""
    yield from _stops(page, base, stop)
    no_browser_validation(page)
    submit(page, form)
    yield errors


def backoffice_tour(page: Page, site: Site, role: str, lang: str) -> Iterator[str]:
    """The main back-office pages of one role (already signed in), in `lang`."""
    base = site.handler.url
    case = f"/cases/{site.seed_submission}"
    if role == "handler":
        page.goto(base + "/inbox")
        choose_language(page, lang)
        yield "inbox"
        yield from _empty_form(page, base, (case, "case"), 'form[action$="/reply"]', "reply-errors")
        yield from _empty_form(
            page, base, ("/register", "register"), 'form[action="/register"]', "register-errors"
        )
        yield from _stops(
            page,
            base,
            ("/deadlines", "deadlines"),
            (case + "/appendix1", "appendix1"),
            ("/account/password", "password"),
        )
        page.fill("#current", "not the password")
        page.fill("#new", "a long enough new pass phrase")
        page.fill("#confirm", "a different pass phrase")
        submit(page, 'form[action="/account/password"]')  # only "confirm" is wrong
        yield "password-errors"
        yield from _stops(page, base, ("/no-such-page", "not-found"))
    elif role == "head":
        page.goto(base + case + "/identity")
        choose_language(page, lang)
        yield "identity"
        yield from _stops(page, base, ("/statistics", "statistics"))
    elif role == "admin":
        page.goto(base + "/admin/users")
        choose_language(page, lang)
        yield "users"
        page.click("tbody a")
        page.wait_for_load_state()
        yield "user"
        yield from _empty_form(
            page,
            base,
            ("/admin/users/new", "user-new"),
            'form[action="/admin/users/new"]',
            "user-new-errors",
        )
        yield from _stops(
            page,
            base,
            ("/admin/settings", "settings"),
            ("/admin/calendar", "calendar"),
            ("/inbox", "forbidden"),
        )  # a page of another role
    elif role == "auditor":
        page.goto(base + "/audit")
        choose_language(page, lang)
        yield "audit"
        yield from _stops(page, base, ("/audit/verify", "audit-verify"))


def signed_out_tour(page: Page, site: Site, lang: str) -> Iterator[str]:
    page.goto(site.handler.url + "/login")
    choose_language(page, lang)
    yield "login"
    page.fill("#username", "nobody-" + lang)  # an unknown name: no account gets a failure
    page.fill("#password", "wrong")
    submit(page, 'form[action="/login"]')
    yield "login-failed"


# --- organizations (issue 13): a site whose tree has several, so the portal asks where ------


def organizations_site(
    tmp_path_factory: pytest.TempPathFactory, template: Template, name: str
) -> Iterator[Site]:
    """A site of its own with tests.support.org_tree's tree beside the demo's organization: the
    directory's shared site stays an installation of one, whose form asks nothing."""
    from tests.support.org_tree import make_tree

    if needs.POSTGRES_PASS:
        pytest.skip(needs.ONCE_REASON)
    folder = tmp_path_factory.mktemp("org-site")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    logs = ARTIFACTS / "logs" / name / worker
    shutil.rmtree(logs, ignore_errors=True)
    with running_site(folder, logs, template) as running:
        make_tree(running.demo.sessions)
        yield running
        problems = running.portal.problems() + running.handler.problems()
    assert not problems, "the servers logged failures:\n" + "\n".join(problems)


ORGANIZATION_PAGES = (
    "organizations",
    "organizations-search",
    "organizations-search-empty",
    "organization",
    "organization-child",
    "report-for-organization",
    "report-for-organization-errors",
    "report-choose-first",
    "poster",
    "organization-not-found",
)


def organizations_tour(page: Page, site: Site, lang: str) -> Iterator[str]:
    """The way to an organization and its report form (ORGANIZATION_PAGES), in `lang`."""
    page.goto(site.portal.url + "/organizations")
    choose_language(page, lang)
    yield "organizations"
    page.fill("#q", "Денсаулық")
    submit(page, 'form[action="/organizations"]')
    assert "/organizations?q=" in page.url, page.url
    yield "organizations-search"
    page.fill("#q", "")
    submit(page, 'form[action="/organizations"]')
    yield "organizations-search-empty"
    page.fill("#q", "minzdrav")
    submit(page, 'form[action="/organizations"]')
    with page.expect_navigation():
        page.click('section[aria-labelledby="results"] a[href="/o/health"]')
    yield "organization"
    with page.expect_navigation():
        page.click('ul.orgs a[href="/o/health-control"]')
    yield "organization-child"
    with page.expect_navigation():
        page.click('a[href="/o/health-control/report"]')
    yield "report-for-organization"
    submit(page, 'form[action="/report"]')  # nothing filled in: the form comes back
    yield "report-for-organization-errors"
    page.goto(site.portal.url + "/report")
    yield "report-choose-first"
    page.goto(site.portal.url + "/o/health/poster")
    yield "poster"
    page.goto(site.portal.url + "/o/no-such-body")
    yield "organization-not-found"
