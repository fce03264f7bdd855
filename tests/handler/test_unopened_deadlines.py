"""Issue 11, item 3: a report nobody has opened already has its p8 and p9 deadlines, from its
receipt date, in the inbox and on the deadlines page (nothing decrypted, no case created)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select

from store.models import Case, Submission
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

P8 = "Notify the Anti-Corruption Service via 1424 (p8)"
P9 = "Send written confirmation to the Anti-Corruption Service (p9)"


def _received_on(demo: DemoInstance, submission_id: str, day: date) -> None:
    with demo.sessions() as s, s.begin():
        submission = s.get(Submission, submission_id)
        assert submission is not None
        submission.received_on = day


def _rows(page: str, submission_id: str) -> list[str]:
    return [row for row in re.findall(r"<tr[ >].*?</tr>", page, re.S) if submission_id[:8] in row]


def _no_case(demo: DemoInstance) -> bool:
    with demo.sessions() as s:
        return s.scalar(select(func.count()).select_from(Case)) == 0


def test_unopened_report_has_p8_and_p9_in_inbox_and_dashboard(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    # Friday 8 May 2026: Victory Day (Saturday 9 May) is observed on Monday 11 May, so the
    # three working days of p9 are 12, 13 and 14 May; p8 is due the same Friday.
    before_victory_day = store_portal_report(demo).submission_id
    _received_on(demo, before_victory_day, date(2026, 5, 8))
    # Friday 11 December 2026: Independence Day on Wednesday 16 December is skipped.
    before_independence_day = store_portal_report(demo).submission_id
    _received_on(demo, before_independence_day, date(2026, 12, 11))
    client = as_role("handler")

    dashboard = client.get("/deadlines").get_data(as_text=True)
    inbox = client.get("/inbox").get_data(as_text=True)
    for sid, p8_due, p9_due in (
        (before_victory_day, "May 8, 2026", "May 14, 2026"),
        (before_independence_day, "Dec 11, 2026", "Dec 17, 2026"),
    ):
        listed = {
            (P8 in row, P9 in row, p8_due in row, p9_due in row) for row in _rows(dashboard, sid)
        }
        assert listed == {(True, False, True, False), (False, True, False, True)}, sid
        [row] = _rows(inbox, sid)
        assert "New, not opened yet" in row
        assert f"{P8}: {p8_due}" in row and f"{P9}: {p9_due}" in row
    # Listing them opened nothing: the report is still new, and no case was created.
    assert _no_case(demo)
    assert "(p8)" in client.get("/deadlines").get_data(as_text=True)
    # The head sees them too.
    head = as_role("head").get("/deadlines").get_data(as_text=True)
    assert len(_rows(head, before_victory_day)) == 2
