"""portal.localized prints exactly what Babel prints, without loading Babel's CLDR data."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask

from portal import localized
from tests.support.portal import csrf_token, login, post_report, receipt_code, report_fields
from web.i18n import COOKIE, LANGUAGES

NUMBERS = [
    0,
    0.05,
    0.15,
    0.25,
    0.35,
    1,
    1.04,
    1.05,
    1.45,
    1.5,
    2.675,
    9.95,
    99.95,
    999.96,
    1000,
    1023.9,
    1234.56,
    10_240.05,
    123_456.75,
    1_048_575.95,
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_same_as_babel(app: Flask, lang: str) -> None:
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={lang}"}):
        for month in range(1, 13):
            for day in (date(2026, month, 1), date(2031, month, 28)):
                assert localized.long_date(day) == format_date(day, "long", locale=lang)
        for number in NUMBERS:
            assert localized.decimal(number) == format_decimal(number, "#,##0.#", locale=lang), (
                number
            )


def test_pages_load_no_cldr_data(app: Flask) -> None:
    """What the tables are for: a worker serving the mailbox never loads CLDR records."""
    from babel import localedata

    localedata._cache.clear()
    client = app.test_client()
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))
    assert login(client, code).status_code == 303
    token = csrf_token(client.get("/mailbox").get_data(as_text=True))
    assert (
        client.post(
            "/mailbox/reply",
            content_type="multipart/form-data",
            data={
                "csrf_token": token,
                "text": "more",
                "files": [(BytesIO(b"evidence"), "a.txt")],
            },
        ).status_code
        == 303
    )
    for lang in LANGUAGES:
        client.get(f"/lang/{lang}")
        for page in ("/", "/rights", "/report", "/mailbox"):
            assert client.get(page).status_code == 200
        assert "a.txt" in client.get("/mailbox").get_data(as_text=True)  # dates and sizes
    assert dict(localedata._cache) == {}
