"""Every page and error page: JS-free, self-contained, exact headers, labelled inputs, lang."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal import create_app
from tests.support import portal as site
from tests.support.instance import DemoInstance
from tests.support.portal import CSP, TRANSLATIONS, PageAudit, audit


def every_page(client: FlaskClient) -> dict[str, TestResponse]:
    pages = {
        path: client.get(path)
        for path in ("/", "/rights", "/report", "/mailbox", "/no-such-page", "/lang/xx")
    }
    pages["405"] = client.delete("/")
    pages["empty report"] = site.post_report(client, site.report_fields(client, facts=""))
    data = site.report_fields(client)
    response = site.post_report(client, data)
    pages["receipt"] = response
    pages["resent"] = site.post_report(client, data)
    pages["bad code"] = site.login(client, "1234 5678 9012 3456 7890")
    pages["malformed"] = client.post(
        "/report", data=b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"
    )
    assert site.login(client, site.receipt_code(response.get_data(as_text=True))).status_code == 303
    pages["mailbox"] = client.get("/mailbox")
    pages["logout"] = client.post(
        "/mailbox/logout",
        data={"csrf_token": site.csrf_token(pages["mailbox"].get_data(as_text=True))},
    )
    return pages


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_page_is_script_free_with_exact_headers(client: FlaskClient, lang: str) -> None:
    client.get(f"/lang/{lang}")
    pages = every_page(client)
    expected = {
        "/": 200,
        "/rights": 200,
        "/report": 200,
        "/mailbox": 200,
        "/no-such-page": 404,
        "/lang/xx": 404,
        "405": 405,
        "empty report": 422,
        "receipt": 200,
        "resent": 409,
        "bad code": 422,
        "malformed": 400,
        "mailbox": 200,
        "logout": 200,
    }
    assert {name: r.status_code for name, r in pages.items()} == expected
    for name, response in pages.items():
        try:
            audit(response, lang)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc
    css = client.get("/static/portal.css")
    assert css.status_code == 200 and b"url(" not in css.data and b"@import" not in css.data
    assert css.headers["Content-Security-Policy"] == CSP


def test_error_pages_without_a_database(demo: DemoInstance) -> None:
    app = create_app(demo.instance, site.make_config())
    audit(app.test_client().get("/nowhere"))


def test_cookies_are_secure_httponly_strict(demo: DemoInstance) -> None:
    app = create_app(demo.instance, site.make_config(secure_cookies=True))
    client = app.test_client()
    response = client.get("/report", base_url="https://portal.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-adal-portal=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie and "Domain" not in cookie
    lang = client.get("/lang/ru", base_url="https://portal.example").headers["Set-Cookie"]
    for flag in ("Secure", "HttpOnly", "SameSite=Strict"):
        assert flag in lang
    # The landing page creates no session at all: reading leaves no row anywhere.
    assert "Set-Cookie" not in client.get("/", base_url="https://portal.example").headers


def test_onion_location(demo: DemoInstance) -> None:
    onion = "http://" + "a" * 56 + ".onion"
    app = create_app(demo.instance, site.make_config(onion_location=onion))
    client = app.test_client()
    response = client.get("/rights")
    assert response.headers["Onion-Location"] == onion + "/rights"
    # The header is built from the decoded path: it must come out as plain ASCII (gunicorn
    # refuses anything else with a bare 500 page), and a newline must not split it.
    for path, status in (
        ("/%D2%9B", 404),
        ("/%0a", 404),
        ("/%0d%0aX-Evil:1", 404),
        ("/lang/ru?next=/%0a", 303),
        ("/report?x=%D2%9B", 200),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        header = response.headers["Onion-Location"]
        assert header.startswith(onion + "/") and header.isascii() and header.isprintable()
        assert " " not in header and "X-Evil" not in response.headers
    assert client.get("/%D2%9B").headers["Onion-Location"] == onion + "/%D2%9B"
    assert client.get("/report?lang=ru").headers["Onion-Location"] == onion + "/report?lang=ru"
    # A raw byte a client put in the query is not copied into the header.
    # A POST's URL is a form's target, not a page to open at the onion address.
    assert "Onion-Location" not in client.post("/report/language/ru", data={}).headers
    raw = client.get("/report", environ_overrides={"QUERY_STRING": "x=\xd2\x9b \n"})
    assert raw.headers["Onion-Location"] == onion + "/report"


def test_catalogs_are_complete() -> None:
    template = read_po((TRANSLATIONS / "messages.pot").open("rb"))
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    for lang in ("kk", "ru", "en"):
        catalog = read_po((TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb"))
        translated = {}
        for m in catalog:
            if not m.id:
                continue
            key = m.id if isinstance(m.id, str) else m.id[0]
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            assert all(strings) and not m.fuzzy, (lang, key)
            translated[key] = strings
        assert ids <= set(translated), (lang, ids - set(translated))
    # The legal terms of the seed document are used, not paraphrases.
    kk = (TRANSLATIONS / "kk" / "LC_MESSAGES" / "messages.po").read_text()
    ru = (TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.po").read_text()
    assert "сыбайлас жемқорлық құқық бұзушылық" in kk and "ҰҚК СЖҚҚ" in kk
    assert "СҚҚҚ" not in kk  # the back office, too, writes ҰҚК СЖҚҚ
    assert "коррупционном правонарушении" in ru and "СПК КНБ" in ru
    assert "соглашение о неразглашении" in ru


def test_templates_have_no_bare_text() -> None:
    """Every visible sentence goes through gettext: no text outside tags and expressions."""
    root = Path(__file__).resolve().parents[2] / "templates" / "portal"
    for path in root.glob("*.html"):
        source = path.read_text()
        source = re.sub(r"{%-? trans.*?%}.*?{%-? endtrans -?%}", "", source, flags=re.S)
        source = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", source, flags=re.S)
        source = re.sub(r"<[^>]*>", "", source)
        leftovers = re.findall(r"[^\W\d_]{3,}", source)
        assert leftovers == [], f"{path.name}: {leftovers[:5]}"


def test_app_serves_language_from_cookie_only(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="kk">' in page


@pytest.mark.parametrize("accept", ["en", "ru", "ru-RU,en;q=0.5"])
def test_accept_language_never_picks_the_language(client: FlaskClient, accept: str) -> None:
    """The header is part of a browser's fingerprint: only the language links choose."""
    for path in ("/", "/report", "/mailbox"):
        response = client.get(path, headers={"Accept-Language": accept})
        assert response.status_code == 200
        page = PageAudit()
        page.feed(response.get_data(as_text=True))
        assert page.html_lang == "kk", (path, accept)
        vary = {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}
        assert "accept-language" not in vary, (path, response.headers.get("Vary"))
