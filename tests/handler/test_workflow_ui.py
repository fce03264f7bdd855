"""The workflow on the case page, through HTTP: steps in order, refusals with a message and
nothing saved, deadlines on the case page, the inbox and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from cases.lists import refresh
from rules.clock import KZ_TZ
from store.models import Case, CaseEvent
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance


def _events(demo: DemoInstance, submission_id: str) -> list[str]:
    with demo.sessions() as s:
        case = s.scalars(select(Case).where(Case.submission_id == submission_id)).one()
        return [e.kind for e in sorted(case.events, key=lambda e: e.id)]


def _kz_now(minutes_ago: int = 0) -> datetime:
    return datetime.now(UTC).astimezone(KZ_TZ) - timedelta(minutes=minutes_ago)


def _step(client: Browser, sid: str, step: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        f"/cases/{sid}/steps/{step}", {f"{step}-{k}": v for k, v in (data or {}).items()}
    )


def test_each_step_in_order_anonymous(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    report = store_portal_report(demo)
    sid = report.submission_id
    client = as_role("handler")
    page = client.get(f"/cases/{sid}").get_data(as_text=True)
    assert "Anti-Corruption Service notified via 1424 (p8)" in page
    assert "Notify the Anti-Corruption Service via 1424 (p8)" in page
    assert "Due soon" in page or "Due" in page
    # Anonymous: no NDA and no rights step offered (p12).
    assert f"/cases/{sid}/steps/rights_explained" not in page
    today = _kz_now().date().isoformat()
    steps = [
        (
            "kns_notified",
            {"call_time": _kz_now().strftime("%Y-%m-%dT%H:%M"), "operator": "Operator A"},
        ),
        (
            "confirmation_sent",
            {"outgoing_number": "01-12/345", "outgoing_date": today, "on_instruction_of": "Head A"},
        ),
        ("decision_received", {"note": "registered in ERDR"}),
        ("reporter_informed", {}),
        ("closed", {"on_instruction_of": "Head A"}),
    ]
    for step, data in steps:
        response = _step(client, sid, step, data)
        assert response.status_code == 303, (step, response.get_data(as_text=True)[:3000])
    assert _events(demo, sid) == ["registered", *[s for s, _d in steps]]
    page = client.get(f"/cases/{sid}").get_data(as_text=True)
    assert "01-12/345" in page and "Operator A" in page
    assert "No step can be recorded now." in page


def test_out_of_order_is_refused_and_nothing_saved(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    client = as_role("head")
    client.get(f"/cases/{sid}")
    today = _kz_now().date().isoformat()
    response = _step(
        client, sid, "confirmation_sent", {"outgoing_number": "1", "outgoing_date": today}
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "earlier steps are missing" in body and "Nothing was saved." in body
    assert _events(demo, sid) == ["registered"]
    # Anonymous report: the rights step is refused with its own message.
    response = _step(client, sid, "rights_explained")
    assert response.status_code == 409
    assert "this report is anonymous" in response.get_data(as_text=True)
    assert _events(demo, sid) == ["registered"]


def test_bad_input_is_4xx_and_nothing_saved(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    client = as_role("handler")
    client.get(f"/cases/{sid}")
    bad = [
        ("kns_notified", {}),  # no call time
        ("kns_notified", {"call_time": "yesterday"}),
        ("kns_notified", {"call_time": _kz_now().strftime("%Y-%m-%dT%H:%M")}),  # no operator
        ("kns_notified", {"call_time": "2001-01-01T10:00", "operator": "X"}),  # before report
        (
            "kns_notified",
            {"call_time": _kz_now().strftime("%Y-%m-%dT%H:%M"), "operator": "x" * 5000},
        ),
        ("nda_declined", {"basis": ""}),
        ("no_such_step", {}),
        ("registered", {}),
    ]
    for step, data in bad:
        response = _step(client, sid, step, data)
        assert 400 <= response.status_code < 500, (step, data, response.status_code)
    assert _events(demo, sid) == ["registered"]
    # Without the CSRF token: refused.
    response = client.post(f"/cases/{sid}/steps/closed", {}, csrf=False)
    assert 400 <= response.status_code < 500
    assert _events(demo, sid) == ["registered"]


def test_known_reporter_needs_rights_before_closing(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(
        demo, identity={"full_name": "А", "position": "Б", "unit": "В"}
    ).submission_id
    client = as_role("head")
    page = client.get(f"/cases/{sid}").get_data(as_text=True)
    assert "Explain rights and obligations to the reporter (p12)" in page
    assert _step(client, sid, "rights_explained").status_code == 303
    assert _events(demo, sid) == ["registered", "rights_explained"]


def test_deadlines_on_dashboard_and_inbox(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    client = as_role("handler")
    client.get(f"/cases/{sid}")
    page = client.get("/deadlines").get_data(as_text=True)
    assert sid[:8] in page
    assert "Send written confirmation to the Anti-Corruption Service (p9)" in page
    # The 1424 call is due today (p8): due soon, with a text marker.
    assert "[~] Due soon" in page or "[!] Overdue" in page
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Notify the Anti-Corruption Service via 1424 (p8)" in inbox
    # Once notified, that deadline leaves the dashboard.
    _step(
        client,
        sid,
        "kns_notified",
        {"call_time": _kz_now().strftime("%Y-%m-%dT%H:%M"), "call_reference": "R-1"},
    )
    page = client.get("/deadlines").get_data(as_text=True)
    assert "Notify the Anti-Corruption Service via 1424 (p8)" not in page
    with demo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent)) >= 2


def test_overdue_deadline_is_shown_as_overdue(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    client = as_role("handler")
    client.get(f"/cases/{sid}")
    with demo.sessions() as s, s.begin():
        case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
        case.submission.received_on -= timedelta(days=20)
        # A change behind the use cases' back: the stored list columns are repaired as
        # `adal cases recompute` would (cases.lists).
        refresh(s, case.submission)
    page = client.get("/deadlines").get_data(as_text=True)
    assert "[!] Overdue" in page


def test_admin_and_auditor_cannot_see_deadlines(as_role: Callable[[str], Browser]) -> None:
    for role in ("admin", "auditor"):
        assert as_role(role).get("/deadlines").status_code == 403
