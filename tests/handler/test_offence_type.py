"""Issue 11, item 11: the kind of offence of p3 is recorded on the case, printed in Appendix 1's
description and counted in the statistics."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from store.models import AuditEntry
from tests.support.backoffice import Browser, export_appendix1, store_portal_report
from tests.support.documents import docx_all_text
from tests.support.instance import DemoInstance

CRIME = "Corruption crime (Criminal Code, art. 3 (29))"
ADMINISTRATIVE = "Administrative corruption offence (Code of Administrative Offences, chapter 34)"


def _selected(page: str) -> str:
    select_ = re.search(r'<select[^>]*name="offence_type".*?</select>', page, re.S)
    assert select_ is not None
    chosen = re.search(r'<option selected value="([a-z]+)"', select_.group(0))
    assert chosen is not None
    return chosen.group(1)


def _export(client: Browser, sid: str, offence_type: str, lang: str) -> str:
    response = export_appendix1(client, sid, offence_type=offence_type, lang=lang)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return docx_all_text(response.data)


def test_offence_type_on_the_case_in_appendix1_and_in_statistics(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    crime, administrative = (store_portal_report(demo).submission_id for _ in range(2))
    store_portal_report(demo)  # nobody has opened it: not determined yet
    handler = as_role("handler")
    for sid in (crime, administrative):
        page = handler.get(f"/cases/{sid}").get_data(as_text=True)
        assert "Type of offence (p3)" in page and "Not yet determined" in page
    assert (
        handler.post(f"/cases/{crime}/offence-type", {"offence_type": "murder"}).status_code == 400
    )
    assert (
        handler.post(f"/cases/{crime}/offence-type", {"offence_type": "crime"}).status_code == 303
    )
    assert (
        handler.post(
            f"/cases/{administrative}/offence-type", {"offence_type": "administrative"}
        ).status_code
        == 303
    )
    assert f"<p>{CRIME}</p>" in handler.get(f"/cases/{crime}").get_data(as_text=True)
    with demo.sessions() as s:
        entries = list(
            s.scalars(select(AuditEntry).where(AuditEntry.action == "case.offence_type"))
        )
    assert [(e.target, e.details) for e in entries] == [
        (crime, {"from": "undetermined", "to": "crime"}),
        (administrative, {"from": "undetermined", "to": "administrative"}),
    ]

    # Appendix 1: the draft carries the case's choice into its description.
    draft = handler.get(f"/cases/{crime}/appendix1").get_data(as_text=True)
    assert _selected(draft) == "crime"
    text = _export(handler, crime, _selected(draft), "ru")
    assert (
        "Вид правонарушения (пункт 3 Рекомендаций): коррупционное преступление "
        "(подпункт 29) статьи 3 Уголовного кодекса Республики Казахстан)"
    ) in text
    text = _export(
        handler,
        administrative,
        _selected(handler.get(f"/cases/{administrative}/appendix1").get_data(as_text=True)),
        "kk",
    )
    assert (
        "Құқық бұзушылықтың түрі (Ұсынымдардың 3-тармағы): әкімшілік сыбайлас жемқорлық "
        "құқық бұзушылық (Қазақстан Республикасының Әкімшілік құқық бұзушылық туралы "
        "кодексінің 34-тарауы)"
    ) in text

    stats = as_role("head").get("/statistics").get_data(as_text=True)
    for label, count in ((CRIME, 1), (ADMINISTRATIVE, 1), ("Not yet determined", 1)):
        assert f"<td>{label}</td><td>{count}</td>" in stats, label
