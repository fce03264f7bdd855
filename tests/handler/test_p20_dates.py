"""p20 on the protection page (issue 11 item 9): both the 30th day and the legal last day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from rules.clock import local_date
from store.models import ProtectionMatter
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}


def test_p20_page_shows_the_date_to_aim_for_and_the_legal_end(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head = as_role("head")
    head.get(f"/cases/{sid}")
    base = f"/cases/{sid}/protection"
    assert head.post(base, {"full_name": "Серікбаев Е."}).status_code == 303
    today = local_date(datetime.now(UTC))
    assert (
        head.post(
            f"{base}/matters",
            {"kind": "transfer", "body": "conciliation", "proposed_on": today.isoformat()},
        ).status_code
        == 303
    )
    with demo.sessions() as s:
        matter_id = s.scalars(select(ProtectionMatter.id)).one()
    assert (
        head.post(
            f"{base}/matters/{matter_id}",
            {
                f"m{matter_id}-appeal_on": "2026-04-10",
                f"m{matter_id}-notice_received_on": "2026-04-15",
            },
        ).status_code
        == 303
    )
    page = head.get(base).get_data(as_text=True)
    assert (
        "aim for May 10, 2026 (the 30th day, a day off); the term legally ends on "
        "May 12, 2026, the next working day"
    ) in page
