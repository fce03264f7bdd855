"""The head's statistics page: counts from plain columns, refused to everyone else."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from rules.clock import KZ_TZ
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance


def _cell(page: str, label: str) -> str:
    match = re.search(re.escape(label) + r"</t[dh]><td>(\d+)</td>", page)
    assert match, label
    return match.group(1)


def test_statistics_counts(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    first = store_portal_report(demo).submission_id
    store_portal_report(demo)
    head = as_role("head")
    head.get(f"/cases/{first}")
    now = datetime.now(UTC).astimezone(KZ_TZ)
    head.post(
        f"/cases/{first}/steps/kns_notified",
        {"kns_notified-call_time": now.strftime("%Y-%m-%dT%H:%M"), "kns_notified-operator": "A"},
    )
    page = head.get("/statistics").get_data(as_text=True)
    assert "Reports received: 2" in page
    assert _cell(page, "Anonymous web portal (p5.5)") == "2"
    assert _cell(page, "New, not opened yet") == "1"
    assert _cell(page, "Anti-Corruption Service notified") == "1"
    assert _cell(page, f"{now.year:04d}-{now.month:02d}") == "2"
    assert _cell(page, "Notify the Anti-Corruption Service via 1424 (p8)") == "1"  # met
    empty = head.get("/statistics?since=2001-01-01&until=2001-12-31").get_data(as_text=True)
    assert "Reports received: 0" in empty
    assert head.get("/statistics?since=nonsense").status_code == 400
    assert head.get("/statistics?since=2026-02-01&until=2026-01-01").status_code == 400
    for role in ("handler", "admin", "auditor"):
        assert as_role(role).get("/statistics").status_code == 403
