"""p7: the NDA is concluded "по форме 1, согласно приложению 2" to order No 153 of 11 May 2023,
within twenty-four hours of the employee's report. The step that records the signing names the
form and the term, in every language."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}

FORM_NAMED = [
    ("en", "form 1 of Appendix 2 to order No 153"),
    (
        "ru",
        "по форме 1 согласно приложению 2 к приказу Председателя Агентства Республики "
        "Казахстан по противодействию коррупции (Антикоррупционной службы) от 11 мая 2023 "
        "года № 153, не позднее двадцати четырех часов",
    ),
    ("kk", "№ 153 бұйрыққа 2-қосымшаға сәйкес 1-нысан бойынша"),
]


@pytest.mark.parametrize(("lang", "named"), FORM_NAMED)
def test_nda_step_names_form_1_of_order_153(
    demo: DemoInstance, as_role: Callable[[str], Browser], lang: str, named: str
) -> None:
    head = as_role("head")
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head.get(f"/cases/{sid}")
    assert head.post(f"/cases/{sid}/steps/nda_intention", {"note": ""}).status_code == 303
    head.get(f"/lang/{lang}")
    page = head.get(f"/cases/{sid}").get_data(as_text=True)
    assert named in page
