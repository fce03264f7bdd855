"""Section 3 pages for the head: the protection record, matters and their p18/p19 deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rules.clock import local_date
from store.models import AuditEntry, Protection, ProtectionMatter
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}


def _count(demo: DemoInstance, model: type) -> int:
    with demo.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_protection_record_and_matter(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head = as_role("head")
    head.get(f"/cases/{sid}")
    base = f"/cases/{sid}/protection"
    assert "Protection period" in head.get(base).get_data(as_text=True)
    assert head.post(base, {"full_name": ""}).status_code == 400
    assert _count(demo, Protection) == 0
    assert (
        head.post(base, {"full_name": "Серікбаев Е.", "position": "бухгалтер"}).status_code == 303
    )
    assert head.post(base, {"full_name": "Again"}).status_code == 409
    page = head.get(base).get_data(as_text=True)
    assert "Серікбаев Е." in page
    today = local_date(datetime.now(UTC))
    bad = [
        {"kind": "", "body": "collegial", "proposed_on": today.isoformat()},
        {"kind": "dismissal", "body": "court", "proposed_on": today.isoformat()},
        {
            "kind": "dismissal",
            "body": "collegial",
            "proposed_on": (today + timedelta(days=5)).isoformat(),
        },
    ]
    for data in bad:
        assert 400 <= head.post(f"{base}/matters", data).status_code < 500, data
    assert _count(demo, ProtectionMatter) == 0
    assert (
        head.post(
            f"{base}/matters",
            {
                "kind": "dismissal",
                "body": "collegial",
                "proposed_on": today.isoformat(),
                "description": "Приказ о увольнении",
            },
        ).status_code
        == 303
    )
    with demo.sessions() as s:
        matter_id = s.scalars(select(ProtectionMatter.id)).one()
    url = f"{base}/matters/{matter_id}"
    meeting = today + timedelta(days=10)
    # A decision before the meeting: refused, nothing saved.
    response = head.post(
        url,
        {
            f"m{matter_id}-meeting_on": meeting.isoformat(),
            f"m{matter_id}-decided_on": today.isoformat(),
        },
    )
    assert response.status_code == 409
    assert "The dates contradict each other." in response.get_data(as_text=True)
    assert head.post(url, {f"m{matter_id}-meeting_on": "bad"}).status_code == 400
    assert head.post(url, {f"m{matter_id}-meeting_on": meeting.isoformat()}).status_code == 303
    page = head.get(base).get_data(as_text=True)
    assert "authorised body for civil service affairs before the commission meets (p18)" in page
    assert "Приказ о увольнении" in page
    assert head.get(f"{base}/matters/999").status_code == 405
    assert head.post(f"{base}/matters/999", {}).status_code == 404
    with demo.sessions() as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {
        "protection.create",
        "protection.matter_add",
        "protection.matter_update",
        "protection.open",
    } <= actions
    for role in ("handler", "admin", "auditor"):
        assert as_role(role).get(base).status_code == 403


def test_no_protection_for_anonymous(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    sid = store_portal_report(demo).submission_id
    head = as_role("head")
    head.get(f"/cases/{sid}")
    assert head.post(f"/cases/{sid}/protection", {"full_name": "X"}).status_code == 409
    assert _count(demo, Protection) == 0
