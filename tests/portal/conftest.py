"""Portal fixtures: compiled catalogs, an app on the demo instance, form helpers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from nacl.public import PrivateKey
from sqlalchemy import select
from werkzeug.test import TestResponse

from crypto.keys import unwrap_private_key
from portal import create_app
from portal.config import PortalConfig
from store.models import User
from tests.support import DemoInstance

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
PYBABEL = Path(sys.executable).with_name("pybabel")


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """.mo files are build output (not committed): compile any that is missing or stale."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run([str(PYBABEL), "compile", "-f", "-i", str(po), "-o", str(mo)],
                           check=True, capture_output=True)


def make_config(**overrides: object) -> PortalConfig:
    values: dict[str, object] = {"secure_cookies": False, "kdf_slots": 2}
    values.update(overrides)
    return PortalConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def app(demo: DemoInstance) -> Iterator[Flask]:
    application = create_app(demo.instance, make_config())
    application.config["TESTING"] = True
    yield application
    application.extensions["adal.kdf_queue"].close()
    application.extensions["adal.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


def post_report(client: FlaskClient, data: dict[str, object],
                files: list[tuple[bytes, str, str]] = ()) -> TestResponse:  # type: ignore[assignment]
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


def staff_key(demo: DemoInstance, role: str) -> PrivateKey:
    creds = demo.credentials()[role]
    with demo.sessions() as s:
        user = s.execute(select(User).where(User.username == creds["username"])).scalar_one()
        assert user.wrapped_key is not None
        return unwrap_private_key(user.wrapped_key, creds["password"])
