"""File sizes read in the page's language: number format from Babel, units from the catalogs."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.sizes import filesize
from web.i18n import COOKIE

CASES = {
    "kk": ["0 Б", "71 Б", "1,5 КБ", "1 МБ", "2 ГБ", "1\xa0536 ГБ"],
    "ru": ["0 Б", "71 Б", "1,5 КБ", "1 МБ", "2 ГБ", "1\xa0536 ГБ"],
    "en": ["0 B", "71 B", "1.5 KB", "1 MB", "2 GB", "1,536 GB"],
}
SIZES = [0, 71, 1536, 1024 * 1024 - 10, 2 * 1024**3, 1536 * 1024**3]


@pytest.mark.parametrize("lang", CASES)
def test_sizes_in_each_language(app: Flask, lang: str) -> None:
    with app.test_request_context("/", headers={"Cookie": f"{COOKIE}={lang}"}):
        assert [filesize(size) for size in SIZES] == CASES[lang]


@pytest.mark.parametrize(("lang", "limit"), [("kk", "2 ГБ"), ("ru", "2 ГБ"), ("en", "2 GB")])
def test_upload_limit_is_shown_in_gigabytes(app: Flask, lang: str, limit: str) -> None:
    client = app.test_client()
    client.get(f"/lang/{lang}")
    page = client.get("/report").get_data(as_text=True)
    assert limit in page and "MiB" not in page and "МиБ" not in page
