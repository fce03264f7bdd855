"""The security headers hold on the refusals too: busy, not ready, crash, too large, expired.

Each page is one a reporter can really meet; each must carry the exact header values, not
only the pages test_pages.py walks through, and must be as script-free as the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.test import TestResponse

from crypto import receipt
from portal import create_app
from store.models import RecipientKey
from tests.support.instance import DemoInstance
from tests.support.portal import (
    CSP,
    audit,
    csrf_token,
    make_config,
    post_report,
    report_fields,
)

# Written out here, not imported from web.headers: a feature dropped there must fail this.
DENIED_FEATURES = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "battery",
    "bluetooth",
    "camera",
    "display-capture",
    "document-domain",
    "encrypted-media",
    "fullscreen",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "interest-cohort",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "web-share",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


def hardened(response: TestResponse, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"].replace(" ", "").split(",")
    assert response.headers["Permissions-Policy"] == PERMISSIONS_POLICY
    audit(response)  # no script, no on*= handler, no javascript: or external URL; lang, labels
    page = response.get_data(as_text=True)
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert response.mimetype == "text/html" and "<h1>" in page
    return page


@pytest.fixture
def busy_app(demo: DemoInstance) -> Iterator[Flask]:
    """No line to wait in: with every slot held, a login is refused at once."""
    application = create_app(demo.instance, make_config(kdf_slots=2, kdf_waiting=0))
    yield application
    application.extensions["adal.kdf_queue"].close()
    application.extensions["adal.engine"].dispose()


def test_kdf_busy_503(busy_app: Flask) -> None:
    client = busy_app.test_client()
    token = csrf_token(client.get("/mailbox").get_data(as_text=True))
    queue = busy_app.extensions["adal.kdf_queue"]
    with ExitStack() as held:
        for _ in range(queue.slots):
            held.enter_context(queue.slot())
        response = client.post(
            "/mailbox/login",
            data={"csrf_token": token, "code": receipt.format_code(receipt.generate())},
        )
    hardened(response, 503)
    assert response.headers["Retry-After"].isdigit()


def test_not_ready_503(client: FlaskClient, demo: DemoInstance) -> None:
    data = report_fields(client)
    with demo.sessions() as s, s.begin():
        s.execute(update(RecipientKey).values(active=False))
    response = post_report(client, data)
    hardened(response, 503)
    assert response.headers["Retry-After"].isdigit()


def test_crash_500(app: Flask) -> None:
    def crash() -> str:
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/_test/crash", "crash", crash)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    response = app.test_client().get("/_test/crash")
    page = hardened(response, 500)
    assert "RuntimeError" not in page and "a bug in a view" not in page


def test_too_large_413(demo: DemoInstance, client: FlaskClient) -> None:
    # A small form past what a small form may carry: the plain 413 page.
    token = csrf_token(client.get("/mailbox").get_data(as_text=True))
    hardened(
        client.post("/mailbox/login", data={"csrf_token": token, "code": "1" * (3 * 1024 * 1024)}),
        413,
    )
    # A report past the upload limit: the form comes back, with the same headers.
    small = create_app(demo.instance, make_config(max_upload_bytes=1024 * 1024))
    try:
        reporter = small.test_client()
        response = post_report(
            reporter, report_fields(reporter), [(b"z" * (2 * 1024 * 1024), "big.bin", "x/y")]
        )
        hardened(response, 413)
    finally:
        small.extensions["adal.kdf_queue"].close()
        small.extensions["adal.engine"].dispose()


def test_expired_session_reply_400(client: FlaskClient) -> None:
    # No mailbox session (it ended after 20 idle minutes): the login form with the draft.
    token = csrf_token(client.get("/mailbox").get_data(as_text=True))
    response = client.post(
        "/mailbox/reply",
        data={"csrf_token": token, "text": "черновик"},
        content_type="multipart/form-data",
    )
    page = hardened(response, 400)
    assert 'name="code"' in page
