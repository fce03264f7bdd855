"""The retention period on the admin's settings page: at least the 3-year protection, audited."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from cases.retention import retention_years
from store.models import AuditEntry
from tests.support.backoffice import Browser
from tests.support.instance import DemoInstance, demo_org_id

BASE = {"organization_name": "", "lockout_max_failures": "5", "lockout_minutes": "15"}


def _years(demo: DemoInstance) -> int | None:
    with demo.sessions() as s:
        return retention_years(s, demo_org_id(s))


def test_retention_is_refused_below_three_years(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    admin = as_role("admin")
    assert "Years a closed case is kept" in admin.get("/admin/settings").get_data(as_text=True)
    for bad in ("2", "0", "-5", "abc", "101", "3.5"):
        response = admin.post("/admin/settings", {**BASE, "retention_years": bad})
        assert response.status_code == 400, bad
        assert _years(demo) is None
    # Nothing half-saved: a good lockout value next to a bad period is not stored either.
    admin.post("/admin/settings", {**BASE, "lockout_minutes": "30", "retention_years": "1"})
    assert 'value="15"' in admin.get("/admin/settings").get_data(as_text=True)

    assert admin.post("/admin/settings", {**BASE, "retention_years": "5"}).status_code == 303
    assert _years(demo) == 5
    assert 'value="5"' in admin.get("/admin/settings").get_data(as_text=True)
    # Left empty: the period stays as it is.
    assert admin.post("/admin/settings", {**BASE, "retention_years": ""}).status_code == 303
    assert _years(demo) == 5
    with demo.sessions() as s:
        entries = list(
            s.scalars(select(AuditEntry).where(AuditEntry.action == "settings.retention"))
        )
    assert [e.details["years"] for e in entries] == [5]
