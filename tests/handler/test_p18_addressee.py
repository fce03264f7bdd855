"""p18-p19 (issue 11 item 1): the materials and the copy of the decision or minutes go to the
authorised body for civil service affairs, named so in every language, never "to the
commission"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from rules.clock import local_date
from store.models import ProtectionMatter
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}

# (language, the addressee's name, the p18 label's opening, a wording that must be gone)
EXPECTED = [
    (
        "en",
        "authorised body for civil service affairs",
        "Send the materials to the authorised",
        "Send materials to the commission",
    ),
    (
        "ru",
        "уполномоченный орган по делам государственной службы",
        "Направить материалы в уполномоченный орган по делам государственной службы",
        "Направить материалы в комиссию",
    ),
    (
        "kk",
        "мемлекеттік қызмет істері жөніндегі уәкілетті органға",
        "Материалдарды комиссия отырысына дейін мемлекеттік қызмет істері жөніндегі",
        "Материалдарды комиссияға жіберу",
    ),
]


def _matter_with_meeting(demo: DemoInstance, head: Browser) -> str:
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head.get(f"/cases/{sid}")
    base = f"/cases/{sid}/protection"
    assert head.post(base, {"full_name": "Серікбаев Е."}).status_code == 303
    today = local_date(datetime.now(UTC))
    assert (
        head.post(
            f"{base}/matters",
            {"kind": "dismissal", "body": "collegial", "proposed_on": today.isoformat()},
        ).status_code
        == 303
    )
    with demo.sessions() as s:
        matter_id = s.scalars(select(ProtectionMatter.id)).one()
    meeting = today + timedelta(days=20)
    assert (
        head.post(
            f"{base}/matters/{matter_id}", {f"m{matter_id}-meeting_on": meeting.isoformat()}
        ).status_code
        == 303
    )
    return base


@pytest.mark.parametrize(("lang", "addressee", "p18", "gone"), EXPECTED)
def test_p18_p19_name_the_civil_service_body(
    demo: DemoInstance,
    as_role: Callable[[str], Browser],
    lang: str,
    addressee: str,
    p18: str,
    gone: str,
) -> None:
    head = as_role("head")
    base = _matter_with_meeting(demo, head)
    head.get(f"/lang/{lang}")
    page = head.get(base).get_data(as_text=True)
    assert p18 in page
    assert gone not in page
    # p18 (materials, deadline row and date field) and p19 (copy, twice) all name the body.
    assert page.count(addressee.split()[0]) >= 4
    assert addressee in page
