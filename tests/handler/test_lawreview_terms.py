"""Law review of issue 11: wordings on the case page that must follow the recommendations.

* p11 (5), p14, Appendix 2: the consent given with a portal report (a ticked box) is not the
  reporter's *written* consent; the report as received must not call it written consent.
* p5.5 in Kazakh: the back office names the channel as Appendix 1 prints it
  (documents.text), one term for one thing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from documents import text
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}

# (language, a wording that calls the ticked box written consent)
WRITTEN = [
    ("en", "Written consent to access to information about them"),
    ("ru", "Письменное согласие на доступ к информации о себе"),
    ("kk", "Өзі туралы ақпаратқа қол жеткізуге жазбаша келісім"),
]


@pytest.mark.parametrize(("lang", "written"), WRITTEN)
def test_portal_consent_box_is_not_called_written_consent(
    demo: DemoInstance, as_role: Callable[[str], Browser], lang: str, written: str
) -> None:
    head = as_role("head")
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head.get(f"/lang/{lang}")
    for path in (f"/cases/{sid}", f"/cases/{sid}/identity"):
        page = head.get(path).get_data(as_text=True)
        assert written not in page, path


def test_kazakh_portal_channel_matches_appendix_1(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    head = as_role("head")
    sid = store_portal_report(demo).submission_id
    head.get("/lang/kk")
    page = head.get(f"/cases/{sid}").get_data(as_text=True)
    printed = text.FORMS["kk"].channels["portal"]  # «анонимдік веб-портал»
    assert printed.capitalize() + " (5.5-т.)" in page
    assert "Жасырын веб-портал" not in page
