"""Issue 12, item 2: an anonymous visit writes no session row.

Each GET of a form without a cookie used to write a `web_sessions` row (1,200 requests from one
client in 10 s made 1,200 rows). Forms now carry their CSRF token in a signed cookie; a row is
written only when a mailbox opens.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from store.models import Submission, WebSession
from tests.support.instance import DemoInstance
from tests.support.portal import csrf_token, login, post_report, receipt_code, report_fields

COOKIE = "adal-portal"  # make_config() turns Secure off, so no __Host- prefix


def _rows(demo: DemoInstance) -> int:
    with demo.sessions() as s:
        return s.scalar(select(func.count()).select_from(WebSession)) or 0


def test_a_hundred_cookieless_visits_write_no_row(app: Flask, demo: DemoInstance) -> None:
    before = _rows(demo)
    for _ in range(100):
        for path in ("/", "/report", "/mailbox"):
            # A new client each time: no cookie, as a flood sends them.
            response = app.test_client().get(path)
            assert response.status_code == 200, path
    assert _rows(demo) == before


def test_a_report_is_sent_without_any_row_and_a_mailbox_opens_one(
    client: FlaskClient, demo: DemoInstance
) -> None:
    before = _rows(demo)
    page = post_report(client, report_fields(client))
    assert page.status_code == 200
    with demo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1
    assert _rows(demo) == before
    # Sending the same form again is still recognised (its marker rides in the cookie).
    code = receipt_code(page.get_data(as_text=True))
    assert login(client, code).status_code == 303
    assert _rows(demo) == before + 1
    assert 'action="/mailbox/reply"' in client.get("/mailbox").get_data(as_text=True)


def test_the_same_form_sent_twice_is_refused_without_a_row(
    client: FlaskClient, demo: DemoInstance
) -> None:
    data = report_fields(client)
    assert post_report(client, data).status_code == 200
    again = dict(data)
    again["csrf_token"] = csrf_token(client.get("/report").get_data(as_text=True))
    assert post_report(client, again).status_code == 409
    assert _rows(demo) == 0


def test_a_forged_or_foreign_anonymous_cookie_is_worth_nothing(
    app: Flask, demo: DemoInstance
) -> None:
    client = app.test_client()
    data = report_fields(client)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and "." in cookie.value  # signed, not a row reference
    payload, _, signature = cookie.value.rpartition(".")
    client.set_cookie(COOKIE, payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    refused = post_report(client, data)
    assert refused.status_code == 400  # the form comes back, nothing is stored
    with demo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
    # Another browser's token does not fit this browser's cookie either.
    other = app.test_client()
    other.get("/report")
    assert post_report(other, data).status_code == 400
