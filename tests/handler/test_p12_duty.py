"""p12 (issue 11 item 8): explaining rights has no term in the text. The case page shows it as a
duty at receipt, never as met, missed or overdue, and the statistics do not count it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from rules.calendar import WorkCalendar
from rules.clock import KZ_TZ
from rules.deadlines import case_deadlines, case_duties
from rules.workflow import CaseFacts
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}
LABEL = "Explain rights and obligations to the reporter (p12)"


def test_p12_is_a_duty_without_a_verdict(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head = as_role("head")
    page = head.get(f"/cases/{sid}").get_data(as_text=True)
    table = page.split('<table class="deadlines">', 1)[1].split("</table>", 1)[0]
    assert LABEL not in table
    assert f"{LABEL}: at receipt; not recorded yet" in page
    stats = head.get("/statistics").get_data(as_text=True)
    assert LABEL not in stats
    assert (
        head.post(f"/cases/{sid}/steps/rights_explained", {"csrf_token": head.token}).status_code
        == 303
    )
    page = head.get(f"/cases/{sid}").get_data(as_text=True)
    assert re.search(re.escape(LABEL) + r": done · ", page)


def test_rules_give_p12_no_deadline() -> None:
    # A report on Friday 20 March 2026, rights never explained, looked at a year later.
    facts = CaseFacts(
        received_at=datetime(2026, 3, 20, 10, tzinfo=KZ_TZ), anonymous=False, nda_intended=False
    )
    keys = [d.key for d in case_deadlines(facts, [], WorkCalendar())]
    assert "rights_explained" not in keys
    duties = case_duties(facts, [])
    assert [(d.key, d.basis, d.done_at) for d in duties] == [("rights_explained", "p12", None)]
    assert case_duties(CaseFacts(facts.received_at, anonymous=True, nda_intended=False), []) == []
