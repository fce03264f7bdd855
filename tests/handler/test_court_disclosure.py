"""Issue 11, item 6: a head records a court decision (court, number, date, scope) as the ground
for disclosing the identity (p14); the export that uses it is audited with it; without consent
or such a record the identity never leaves the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rules.clock import local_date
from store.models import DisclosureBasis, Grant, RecipientKey
from tests.support import backoffice as office
from tests.support.backoffice import Browser, case_with_known_identity
from tests.support.documents import docx_all_text
from tests.support.instance import DemoInstance

NAME = "Жанар Әбенова"
COURT = "Специализированный межрайонный суд по уголовным делам г. Астаны"
NUMBER = "1-7711/2026"


def test_court_decision_is_the_audited_ground_for_disclosure(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid, head, handler = case_with_known_identity(demo, as_role, NAME)
    # Known, but neither consent nor a court decision: the identity stays in the case.
    assert office.export_appendix1(head, sid, include_identity="y").status_code == 403
    refused = office.export_appendix1(head, sid, include_identity="y", basis="court:1")
    assert refused.status_code == 403

    url = f"/cases/{sid}/disclosure/court"
    today = local_date(datetime.now(UTC))
    decision = {
        "court": COURT,
        "number": NUMBER,
        "decided_on": today.isoformat(),
        "scope": "Сообщить ФИО работника следователю",
    }
    assert head.post(url, {**decision, "scope": ""}).status_code == 400
    assert (
        head.post(
            url, {**decision, "decided_on": (today + timedelta(days=3)).isoformat()}
        ).status_code
        == 409
    )
    assert handler.post(url, decision).status_code == 403
    assert head.post(url, decision).status_code == 303
    page = head.get(f"/cases/{sid}/disclosure").get_data(as_text=True)
    assert COURT in page and NUMBER in page and "следователю" in page

    with demo.sessions() as s:
        row = s.scalars(select(DisclosureBasis)).one()
        holders = set(
            s.scalars(
                select(RecipientKey.purpose)
                .join(Grant, Grant.key_id == RecipientKey.key_id)
                .where(Grant.envelope_id == row.envelope_id)
            )
        )
    assert (row.kind, row.dated_on) == ("court", today)
    assert holders == {"head", "recovery"}  # sealed like the identity block
    recorded = office.audit_entries(demo, "disclosure.court_decision")
    assert [e.details["record"] for e in recorded] == [row.id]
    assert NUMBER not in str(recorded[0].details)

    draft = head.get(f"/cases/{sid}/appendix1").get_data(as_text=True)
    assert f'value="court:{row.id}"' in draft and NUMBER in draft
    # A handler can neither see the ground nor use it.
    assert "court:" not in handler.get(f"/cases/{sid}/appendix1").get_data(as_text=True)
    assert (
        office.export_appendix1(
            handler, sid, include_identity="y", basis=f"court:{row.id}"
        ).status_code
        == 403
    )

    response = office.export_appendix1(head, sid, include_identity="y", basis=f"court:{row.id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    text = docx_all_text(response.data)
    assert NAME in text
    assert (
        f"раскрываются на основании решения суда: {COURT}, № {NUMBER} от {today:%d.%m.%Y}"
    ) in text
    exported = office.audit_entries(demo, "export.appendix1")[-1]
    assert exported.details["identity"] is True
    assert (exported.details["basis"], exported.details["court_decision"]) == ("court", row.id)
