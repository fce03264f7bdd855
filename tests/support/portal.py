"""The portal under test: the app on an instance, and the report form, receipt and mailbox
sign-in as a reporter's browser goes through them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from io import BytesIO

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bench.loopback import ROOT
from installation import instance as inst
from portal import create_app
from portal.config import PortalConfig

TRANSLATIONS = ROOT / "portal" / "translations"


def make_config(**overrides: object) -> PortalConfig:
    values: dict[str, object] = {"secure_cookies": False, "kdf_slots": 2}
    values.update(overrides)
    return PortalConfig(**values)  # type: ignore[arg-type]


@contextmanager
def portal_app(instance: inst.Instance, config: PortalConfig) -> Iterator[Flask]:
    """The portal app; its KDF worker processes and database pool are closed afterwards."""
    application = create_app(instance, config)
    try:
        yield application
    finally:
        application.extensions["adal.kdf_queue"].close()
        application.extensions["adal.engine"].dispose()


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_NONCE = re.compile(r'name="nonce" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def report_fields(client: FlaskClient, **fields: str) -> dict[str, object]:
    page = client.get("/report").get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": csrf_token(page)}
    match = _NONCE.search(page)
    assert match
    data["nonce"] = match.group(1)
    data.update({"facts": "Начальник отдела требует деньги за подпись.", "acknowledge": "y"})
    data.update(fields)
    return data


def post_report(
    client: FlaskClient, data: dict[str, object], files: list[tuple[bytes, str, str]] = ()
) -> TestResponse:  # type: ignore[assignment]
    body = dict(data)
    if files:
        body["files"] = [(BytesIO(content), name, ctype) for content, name, ctype in files]
    return client.post("/report", data=body, content_type="multipart/form-data")


_CODE = re.compile(r'<p class="code"[^>]*><strong>([0-9 ]{24})</strong>')


def receipt_code(html: str) -> str:
    match = _CODE.search(html)
    assert match, "no receipt code on the page"
    return match.group(1)


def login(client: FlaskClient, code: str) -> TestResponse:
    page = client.get("/mailbox").get_data(as_text=True)
    return client.post("/mailbox/login", data={"csrf_token": csrf_token(page), "code": code})


# --- what every portal page must be: JS-free, self-contained, exact headers, labelled ----

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
URL_ATTRS = {"src", "href", "action", "formaction", "data", "poster", "srcset", "background"}


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.labels: set[str] = set()
        self.inputs: list[str] = []
        self.html_lang: str | None = None
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.problems.append("script element")
        if tag == "html":
            self.html_lang = values.get("lang")
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler {name}")
            if name in URL_ATTRS or name == "style":
                lowered = value.strip().lower()
                if lowered.startswith("javascript:"):
                    self.problems.append(f"javascript: URL in {name}")
                if "//" in lowered or lowered.startswith(("http:", "https:", "data:")):
                    self.problems.append(f"external URL in {name}: {value}")
                if "url(" in lowered:
                    self.problems.append("url() in inline style")
        if tag == "label" and values.get("for"):
            self.labels.add(values["for"] or "")
        if tag in ("input", "textarea", "select") and values.get("type") != "hidden":
            self.inputs.append(values.get("id") or "<no id>")

    def handle_data(self, data: str) -> None:
        if self._in_style and ("url(" in data or "@import" in data):
            self.problems.append("external reference in a style element")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False


def audit(response: TestResponse, lang: str = "kk") -> None:
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert "Server" not in response.headers
    if response.mimetype != "text/html":
        return
    page = PageAudit()
    page.feed(response.get_data(as_text=True))
    assert page.problems == []
    assert page.html_lang == lang
    unlabelled = [i for i in page.inputs if i not in page.labels]
    assert unlabelled == [], f"inputs without a label: {unlabelled}"
