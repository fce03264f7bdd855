"""p20, first sentence: after the civil service agency's notice the head must conclude an NDA
with the employee only "если ранее между данным лицом и СПК КНБ заключено такое соглашение".
The box that marks the NDA as owed says so, in every language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from store.models import ProtectionMatter
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}

CONDITION = [
    (
        "en",
        "Only if the employee concluded a non-disclosure agreement with the Anti-Corruption "
        "Service earlier",
    ),
    ("ru", "Только если работник ранее заключил соглашение о неразглашении с СПК КНБ"),
    ("kk", "Қызметкер бұрын ҰҚК СЖҚҚ-мен жария етпеу туралы келісім жасасқан жағдайда ғана"),
]


@pytest.mark.parametrize(("lang", "condition"), CONDITION)
def test_p20_nda_box_states_its_condition(
    demo: DemoInstance, as_role: Callable[[str], Browser], lang: str, condition: str
) -> None:
    head = as_role("head")
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head.get(f"/cases/{sid}")
    base = f"/cases/{sid}/protection"
    assert head.post(base, {"full_name": "Серікбаев Е."}).status_code == 303
    assert (
        head.post(
            f"{base}/matters",
            {"kind": "dismissal", "body": "collegial", "proposed_on": "2026-12-01"},
        ).status_code
        == 303
    )
    with demo.sessions() as s:
        assert s.scalars(select(ProtectionMatter.id)).one()
    head.get(f"/lang/{lang}")
    page = head.get(base).get_data(as_text=True)
    assert condition in page
