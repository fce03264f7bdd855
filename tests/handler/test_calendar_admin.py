"""The national calendar page: decree days added and removed by the operator (issue 13), audited,
and moving the due dates the handlers see; an organization's admin reads it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import select

from rules.calendar import WorkCalendar
from rules.clock import local_date
from store.models import AuditEntry, CalendarDay
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance


def _confirmation_due(today):  # type: ignore[no-untyped-def]
    return WorkCalendar().add_working_days(today, 3)


def test_added_day_off_moves_a_shown_due_date(
    demo: DemoInstance, as_role: Callable[[str], Browser], operator: Browser
) -> None:
    sid = store_portal_report(demo).submission_id
    handler = as_role("handler")
    handler.get(f"/cases/{sid}")
    today = local_date(datetime.now(UTC))
    calendar = WorkCalendar()
    first = today + timedelta(days=1)
    while not calendar.is_working_day(first):
        first += timedelta(days=1)
    before = format_date(_confirmation_due(today), "medium", locale="en")
    assert before in handler.get(f"/cases/{sid}").get_data(as_text=True)

    page = operator.get(f"/admin/calendar?year={first.year}").get_data(as_text=True)
    assert "Public holidays (for reference)" in page
    response = operator.post(
        f"/admin/calendar?year={first.year}",
        {"day": first.isoformat(), "kind": "day_off", "note": "Decree 1"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert "Decree 1" in operator.get(f"/admin/calendar?year={first.year}").get_data(as_text=True)
    with demo.sessions() as s:
        assert s.get(CalendarDay, first) is not None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "calendar.set")).one()
        assert entry.actor

    moved = calendar.add_working_days(today, 3)
    shifted = moved + timedelta(days=1)
    while not calendar.is_working_day(shifted):
        shifted += timedelta(days=1)
    after = format_date(shifted, "medium", locale="en")
    assert after in handler.get("/deadlines").get_data(as_text=True)
    assert after in handler.get(f"/cases/{sid}").get_data(as_text=True)

    # Removing it restores the due date, also audited.
    response = operator.post("/admin/calendar/remove", {"day": first.isoformat()})
    assert response.status_code == 303
    assert before in handler.get(f"/cases/{sid}").get_data(as_text=True)
    with demo.sessions() as s:
        assert s.get(CalendarDay, first) is None
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "calendar.remove")).one()


def test_bad_calendar_input_is_refused(
    demo: DemoInstance, as_role: Callable[[str], Browser], operator: Browser
) -> None:
    saturday = datetime(2030, 1, 5).date()
    bad = [
        {"day": "", "kind": "day_off"},
        {"day": "2030-02-30", "kind": "day_off"},
        {"day": "2030-01-08", "kind": "holiday"},
        {"day": "1900-01-08", "kind": "day_off"},
        {"day": "2030-01-08", "kind": "day_off", "note": "x" * 500},
        {"day": saturday.isoformat(), "kind": "day_off"},  # already a day off: no effect
        {"day": "2030-01-08", "kind": "working_day"},  # already a working day
    ]
    for data in bad:
        response = operator.post("/admin/calendar", data)
        assert 400 <= response.status_code < 500 and response.status_code != 403, data
    assert "This would change nothing" in operator.post("/admin/calendar", bad[-1]).get_data(
        as_text=True
    )
    for day in ("", "nonsense", "2030-01-08"):
        response = operator.post("/admin/calendar/remove", {"day": day})
        assert 400 <= response.status_code < 500 and response.status_code != 403, day
    assert operator.get("/admin/calendar?year=abc").status_code == 200
    assert operator.get("/admin/calendar?year=99999").status_code == 200
    with demo.sessions() as s:
        assert s.scalars(select(CalendarDay)).all() == []
    for role in ("handler", "head", "auditor"):
        assert as_role(role).get("/admin/calendar").status_code == 403
