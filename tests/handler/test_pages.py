"""Every page: complete kk/ru/en catalogs, script-free accessible HTML5, the strict CSP."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from bench.loopback import ROOT
from store.models import Organization
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance, run_cli

TRANSLATIONS = ROOT / "handler" / "translations"
LANGS = ("kk", "ru", "en")
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# SVG children of the inline QR code are self-closed, which HTML parsers accept in SVG.
SVG = {"svg", "path", "title"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete(lang: str) -> None:
    catalog = _catalog(lang)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 150
    for message in messages:
        assert message.string, (lang, message.id)
        assert not message.fuzzy, (lang, message.id)
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string))
    if lang != "en":
        # Translated, not copied: only brand names and codes may stay as they are.
        same = [m.id for m in messages if m.id == m.string]
        assert same == [], same


def test_catalogs_cover_every_string_in_the_code(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "pybabel"),
            "-q",
            "extract",
            "-F",
            "handler/babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    for lang in LANGS:
        have = {m.id for m in _catalog(lang) if m.id}
        assert wanted == have, (lang, wanted ^ have)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict[str, str | None]]] = []
        self.described: list[str] = []
        self.h1 = 0
        self.lang: str | None = None
        self.required_select: str | None = None  # name of a required <select> just opened

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.errors.append(f"inline handler {name} on <{tag}>")
            if name == "style":
                self.errors.append(f"inline style on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.errors.append(f"javascript: URL on <{tag}>")
        if tag == "script":
            self.errors.append("<script>")
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"] or "")
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append((tag, a))
        if tag == "select" and "required" in a:
            self.required_select = a.get("name") or "?"
        elif tag == "option" and self.required_select is not None:
            # A required select's first option must be an empty placeholder (HTML spec).
            if a.get("value") != "":
                self.errors.append(
                    f"required <select {self.required_select}> has no empty first option"
                )
            self.required_select = None
        if a.get("aria-describedby"):
            self.described += (a["aria-describedby"] or "").split()
        if tag not in VOID and not (tag in SVG and self.get_starttag_text().endswith("/>")):
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def check(self, lang: str) -> list[str]:
        errors = list(self.errors)
        if self.stack:
            errors.append(f"unclosed {self.stack}")
        if self.lang != lang:
            errors.append(f"lang={self.lang}")
        if self.h1 != 1:
            errors.append(f"{self.h1} h1 elements")
        dupes = {i for i in self.ids if self.ids.count(i) > 1}
        if dupes:
            errors.append(f"duplicate ids {dupes}")
        for tag, attrs in self.controls:
            if attrs.get("id") not in self.label_for:
                errors.append(f"<{tag} name={attrs.get('name')}> has no label")
        errors += [f"aria-describedby -> missing #{i}" for i in self.described if i not in self.ids]
        return errors


def _check_page(browser: Browser, path: str, lang: str, data: dict[str, str] | None = None) -> str:
    """GET the page, or POST `data` to it (a form coming back with its errors)."""
    response = browser.get(path) if data is None else browser.post(path, data)
    assert response.status_code in (200, 400, 401, 403, 404), (path, response.status_code)
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    body = response.get_data(as_text=True)
    assert body.startswith("<!doctype html>")
    checker = _Checker()
    checker.feed(body)
    checker.close()
    assert checker.check(lang) == [], (path, lang)
    return body


def test_every_page_in_every_language(
    demo: DemoInstance,
    as_role: Callable[[str], Browser],
    browser: Callable[[], Browser],
    operator: Browser,
) -> None:
    report = store_portal_report(
        demo,
        identity={"full_name": "А", "position": "Б", "unit": "В"},
        files=[("a.pdf", "application/pdf", b"x")],
    )
    case = f"/cases/{report.submission_id}"
    # A colleague without access, so the case page also shows the share form.
    code, output = run_cli("user", "add", "--role", "handler", "third-handler")
    assert code == 0, output
    pages = {
        None: ["/login", "/no-such-page"],
        "handler": [
            "/inbox",
            "/inbox?show=closed",
            case,
            "/register",
            "/account/password",
            "/deadlines",
            "/admin/users",
        ],
        "head": [
            case,
            f"{case}/identity",
            f"{case}/appendix1",
            f"{case}/protection",
            "/statistics",
            "/statistics?since=2026-01-01&until=2026-12-31",
            "/statistics?since=x",
            "/statistics/subordinates",
        ],
        "admin": [
            "/admin/users",
            "/admin/users/new",
            "/admin/users/1",
            "/admin/settings",
            "/admin/calendar",
            "/admin/calendar?year=2027",
        ],
        "auditor": ["/audit", "/audit/verify", "/statistics/subordinates"],
        "operator": [
            "/operator",
            "/operator?q=demo",
            "/operator?q=x",
            f"/operator?under={_first_org_slug(demo)}",
            "/operator/new",
            f"/operator/{_first_org_slug(demo)}",
            "/admin/calendar",
        ],
    }
    with_errors = {
        None: [("/login", {"username": "", "password": ""})],
        "handler": [
            ("/register", {"channel": "", "facts": ""}),
            ("/account/password", {"current": "x", "new": "y", "confirm": "z"}),
        ],
        "admin": [
            ("/admin/users/new", {"username": "a b", "role": ""}),
            ("/admin/settings", {"lockout_minutes": "abc"}),
        ],
        "operator": [
            ("/admin/calendar", {"day": "not a date", "kind": ""}),
            ("/operator/new", {"slug": "Not a slug", "name_kk": ""}),
        ],
    }
    for role, paths in pages.items():
        client = browser() if role is None else operator if role == "operator" else as_role(role)
        for lang in LANGS:
            client.get(f"/lang/{lang}?next=/")
            for path in paths:
                _check_page(client, path, lang)
            for path, data in with_errors.get(role, []):
                assert 'aria-invalid="true"' in _check_page(client, path, lang, data)


def _first_org_slug(demo: DemoInstance) -> str:
    with demo.sessions() as s:
        org = s.scalars(select(Organization).order_by(Organization.id)).first()
        assert org is not None
        return org.slug


def test_languages_are_really_used(
    demo: DemoInstance, as_role: Callable[[str], Browser], browser: Callable[[], Browser]
) -> None:
    client = browser()
    client.get("/lang/ru?next=/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Вход в рабочее место" in page and 'lang="ru"' in page
    # WTForms' own messages follow the language too.
    response = client.post("/login", {"username": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required" not in response.get_data(as_text=True)
    client.get("/lang/kk?next=/login")
    assert "Жұмыс орнына кіру" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en?next=/login")
    assert "Sign in to the back office" in client.get("/login").get_data(as_text=True)
    handler = as_role("handler")
    handler.get("/lang/kk?next=/inbox")
    assert "Кіріс" in handler.get("/inbox").get_data(as_text=True)


def test_enrolment_page_is_valid(demo: DemoInstance, browser: Callable[[], Browser]) -> None:
    code, output = run_cli("user", "add", "--role", "auditor", "fresh-auditor")
    assert code == 0, output
    password = output.split("login): ")[1].strip()
    client = browser()
    for lang in LANGS:
        client.get(f"/lang/{lang}?next=/")
        body = _check_page(
            client, "/login", lang, {"username": "fresh-auditor", "password": password, "code": ""}
        )
        assert "<svg" in body and "<title>" in body


def test_error_pages_are_pages(as_role: Callable[[str], Browser]) -> None:
    client = as_role("auditor")
    for lang in LANGS:
        client.get(f"/lang/{lang}?next=/")
        _check_page(client, "/inbox", lang)  # 403
        _check_page(client, "/nothing", lang)  # 404
