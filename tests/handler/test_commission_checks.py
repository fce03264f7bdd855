"""p16-p17 (issue 11 item 10): the protection page warns when a commission meets on a day off
and when the civil service body's representative is recorded as not invited; a handler enters
the commission's dates only after a head has shared the protection record with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from rules.clock import local_date
from store.models import AuditEntry, ProtectionMatter, User
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}
DAY_OFF = "The meeting is set on a day off"
NOT_INVITED = "is recorded as not invited"


def _record_with_matter(demo: DemoInstance, head: Browser) -> tuple[str, str, int]:
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head.get(f"/cases/{sid}")
    base = f"/cases/{sid}/protection"
    assert head.post(base, {"full_name": "Серікбаев Е."}).status_code == 303
    today = local_date(datetime.now(UTC))
    assert (
        head.post(
            f"{base}/matters",
            {"kind": "disciplinary", "body": "collegial", "proposed_on": today.isoformat()},
        ).status_code
        == 303
    )
    with demo.sessions() as s:
        matter_id = s.scalars(select(ProtectionMatter.id)).one()
    return sid, base, matter_id


def test_warnings_for_a_day_off_and_a_missing_invitation(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    head = as_role("head")
    _sid, base, matter_id = _record_with_matter(demo, head)
    url = f"{base}/matters/{matter_id}"
    # Friday 25 December 2026 is no holiday in Kazakhstan; Wednesday 16 December is
    # Independence Day and Sunday 27 December a weekend.
    assert head.post(url, {f"m{matter_id}-meeting_on": "2026-12-16"}).status_code == 303
    page = head.get(base).get_data(as_text=True)
    assert DAY_OFF in page and NOT_INVITED in page
    assert (
        head.post(
            url, {f"m{matter_id}-meeting_on": "2026-12-27", f"m{matter_id}-agency_invited": "y"}
        ).status_code
        == 303
    )
    page = head.get(base).get_data(as_text=True)
    assert DAY_OFF in page and NOT_INVITED not in page
    assert (
        head.post(
            url, {f"m{matter_id}-meeting_on": "2026-12-25", f"m{matter_id}-agency_invited": "y"}
        ).status_code
        == 303
    )
    page = head.get(base).get_data(as_text=True)
    assert DAY_OFF not in page and NOT_INVITED not in page


def test_handler_enters_dates_only_after_a_share(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    head = as_role("head")
    sid, base, matter_id = _record_with_matter(demo, head)
    handler = as_role("handler")
    handler.get(f"/cases/{sid}")
    url = f"{base}/matters/{matter_id}"
    assert handler.get(base).status_code == 403
    assert handler.post(url, {f"m{matter_id}-meeting_on": "2026-12-25"}).status_code == 403
    assert "Protection of the reporter" not in handler.get(f"/cases/{sid}").get_data(as_text=True)
    with demo.sessions() as s:
        matter = s.get(ProtectionMatter, matter_id)
        assert matter.meeting_on is None
        handler_id = s.scalars(select(User.id).where(User.role == "handler")).first()
    # Only a head shares, and only with a handler who holds the case.
    assert handler.post(f"{base}/share", {"user_id": str(handler_id)}).status_code == 403
    assert head.post(f"{base}/share", {"user_id": "999999"}).status_code == 400
    assert head.post(f"{base}/share", {"user_id": str(handler_id)}).status_code == 303
    assert "Protection of the reporter" in handler.get(f"/cases/{sid}").get_data(as_text=True)
    page = handler.get(base).get_data(as_text=True)
    assert "Серікбаев Е." in page
    assert "Register a proposed measure" not in page and "Share the record" not in page
    assert (
        handler.post(
            url, {f"m{matter_id}-meeting_on": "2026-12-25", f"m{matter_id}-agency_invited": "y"}
        ).status_code
        == 303
    )
    assert (
        handler.post(
            f"{base}/matters",
            {"kind": "dismissal", "body": "collegial", "proposed_on": "2026-12-01"},
        ).status_code
        == 403
    )
    with demo.sessions() as s:
        assert str(s.get(ProtectionMatter, matter_id).meeting_on) == "2026-12-25"
        actions = list(s.scalars(select(AuditEntry.action)))
    assert "protection.share" in actions
