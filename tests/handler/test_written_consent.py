"""Issue 11, item 5: the portal's consent box is a statement of consent, the signed Appendix 2
is written consent; a head records the latter (date, scan), the case shows which one it has,
and Appendix 1 prints the reporter's details only with consent, saying which form it took."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rules.clock import local_date
from store.models import DisclosureBasis, Envelope, Grant, RecipientKey
from tests.support.backoffice import (
    Browser,
    audit_entries,
    case_with_known_identity,
    export_appendix1,
    store_portal_report,
)
from tests.support.documents import docx_all_text
from tests.support.instance import DemoInstance, run_cli

NAME = "Жанар Әбенова"
STATEMENT = "The reporter ticked the consent box on the portal: a statement of consent"


def test_signed_appendix2_is_recorded_and_named_in_appendix1(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid, head, handler = case_with_known_identity(demo, as_role, NAME)
    page = f"/cases/{sid}/disclosure"
    assert "No consent" in head.get(page).get_data(as_text=True)
    # Known but without consent: the details stay out of Appendix 1.
    assert "include_identity" not in head.get(f"/cases/{sid}/appendix1").get_data(as_text=True)
    assert export_appendix1(head, sid, include_identity="y").status_code == 403

    today = local_date(datetime.now(UTC))
    before = (today - timedelta(days=400)).isoformat()
    assert head.post(f"{page}/appendix2", {"received_on": before}).status_code == 409
    assert head.post(f"{page}/appendix2", {"received_on": "not a date"}).status_code == 400
    assert handler.post(f"{page}/appendix2", {"received_on": today.isoformat()}).status_code == 403
    scan = b"%PDF-1.4 signed appendix 2"
    response = head.post(
        f"{page}/appendix2",
        {"received_on": today.isoformat(), "scan": (io.BytesIO(scan), "appendix2.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]

    shown = head.get(page).get_data(as_text=True)
    assert "Signed Appendix 2 received on" in shown
    assert "Signed Appendix 2 received on" in head.get(f"/cases/{sid}").get_data(as_text=True)
    with demo.sessions() as s:
        row = s.scalars(select(DisclosureBasis)).one()
        assert (row.kind, row.dated_on) == ("appendix2", today)
        holders = set(
            s.scalars(
                select(RecipientKey.purpose)
                .join(Grant, Grant.key_id == RecipientKey.key_id)
                .where(Grant.envelope_id == row.scan_envelope_id)
            )
        )
        assert holders == {"head", "recovery"}  # sealed like the identity, never to handlers
    # Housekeeping shreds unlinked upload files after a day; the scan is no such orphan.
    with demo.sessions() as s, s.begin():
        s.get(Envelope, row.scan_envelope_id).created_on = today - timedelta(days=5)  # type: ignore[union-attr]
    code, output = run_cli("housekeeping", "--once")
    assert code == 0, output
    download = head.get(f"{page}/{row.id}/scan")
    assert download.status_code == 200 and download.data == scan
    assert handler.get(f"{page}/{row.id}/scan").status_code == 403

    response = export_appendix1(head, sid, include_identity="y")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    text = docx_all_text(response.data)
    assert NAME in text
    assert f"письменное согласие по приложению 2 получено {today:%d.%m.%Y}" in text
    assert audit_entries(demo, "export.appendix1")[-1].details["basis"] == "appendix2"
    assert audit_entries(demo, "consent.appendix2")[0].details["scan"] is True


def test_portal_tick_is_a_statement_and_appendix1_says_so(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(
        demo, identity={"full_name": NAME, "position": "экономист", "unit": "қаржы"}
    ).submission_id
    head = as_role("head")
    assert STATEMENT in head.get(f"/cases/{sid}").get_data(as_text=True)
    assert STATEMENT in head.get(f"/cases/{sid}/disclosure").get_data(as_text=True)
    response = export_appendix1(head, sid, include_identity="y")
    assert response.status_code == 200
    text = docx_all_text(response.data)
    assert (
        f"{NAME}, экономист, қаржы; согласие выражено отметкой на анонимном веб-портале "
        "(подписанное приложение 2 не получено)"
    ) in text
    assert audit_entries(demo, "export.appendix1")[-1].details["basis"] == "statement"
    kk = docx_all_text(export_appendix1(head, sid, include_identity="y", lang="kk").data)
    assert "келісім анонимдік веб-порталдағы белгімен білдірілген" in kk
