"""p4 (issue 11 item 12): the landing page and the receipt page tell the reporter they may also
report straight to the Anti-Corruption Service (call centre 1424), especially when the head is
involved, in every language and without a line of script."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.portal import post_report, receipt_code, report_fields

TEXTS = {
    "en": (
        "Anti-Corruption Service of the National Security Committee",
        "if the head of your organization is involved",
    ),
    "ru": (
        "Службу по противодействию коррупции Комитета национальной безопасности",
        "причастен руководитель вашей организации",
    ),
    "kk": (
        "Ұлттық қауіпсіздік комитетінің Сыбайлас жемқорлыққа қарсы қызметіне",
        "ұйымыңыздың басшысының қатысы болса",
    ),
}


def _says_report_directly(page: str, lang: str) -> None:
    service, head_involved = TEXTS[lang]
    assert service in page
    assert "1424" in page
    assert head_involved in page
    assert "<script" not in page.lower()


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_landing_names_the_direct_channel(client: FlaskClient, lang: str) -> None:
    client.get(f"/lang/{lang}")
    _says_report_directly(client.get("/").get_data(as_text=True), lang)


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_receipt_names_the_direct_channel(client: FlaskClient, lang: str) -> None:
    client.get(f"/lang/{lang}")
    page = post_report(client, report_fields(client)).get_data(as_text=True)
    assert receipt_code(page)
    _says_report_directly(page, lang)
