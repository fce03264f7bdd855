"""Appendix 1 exported from the case (ru and kk DOCX, print page), the identity only for a head
with consent, every export in the audit log; Appendix 2 and 3 downloadable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from store.models import AuditEntry, Submission
from tests.support.backoffice import Browser, store_portal_report
from tests.support.documents import docx_all_text
from tests.support.instance import DemoInstance

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}


def _draft(client: Browser, sid: str) -> dict[str, Any]:
    page = client.get(f"/cases/{sid}/appendix1")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "руководитель отдела" in body and "отдел закупок" in body
    return {
        "received_at": "",
        "received_by": "",
        "channel": "portal",
        "facts": "",
        "lang": "ru",
        "fmt": "docx",
    }


def _export(client: Browser, sid: str, **extra: str):  # type: ignore[no-untyped-def]
    data = {
        "received_at": "2026-01-05T10:30",
        "received_by": "Иванова А. Б.",
        "channel": "portal",
        "facts": "Взятка при закупке",
        "position": "руководитель отдела",
        "unit": "отдел закупок",
        "head_name": "Ахметов Б.",
        "lang": "ru",
        "fmt": "docx",
    }
    data.update(extra)
    return client.post(f"/cases/{sid}/appendix1", data)


def _audits(demo: DemoInstance, action: str) -> list[AuditEntry]:
    with demo.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_appendix1_docx_in_russian_and_kazakh(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    client = as_role("handler")
    client.get(f"/cases/{sid}")
    _draft(client, sid)
    for lang in ("ru", "kk"):
        response = _export(client, sid, lang=lang)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        assert response.mimetype.endswith("wordprocessingml.document")
        text = docx_all_text(response.data)
        for value in (
            "05.01.2026, 10:30",
            "Иванова А. Б.",
            "Взятка при закупке",
            "руководитель отдела",
            "отдел закупок",
        ):
            assert value in text, (lang, value)
    html = _export(client, sid, fmt="html")
    assert html.status_code == 200 and "Взятка при закупке" in html.get_data(as_text=True)
    entries = _audits(demo, "export.appendix1")
    assert len(entries) == 3
    assert all(e.details["identity"] is False for e in entries)


def test_identity_only_for_a_head_with_consent(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    handler = as_role("handler")
    handler.get(f"/cases/{sid}")
    assert "include_identity" not in handler.get(f"/cases/{sid}/appendix1").get_data(as_text=True)
    refused = _export(handler, sid, include_identity="y")
    assert refused.status_code == 403
    assert IDENTITY["full_name"] not in refused.get_data(as_text=True)
    plain = _export(handler, sid)
    assert IDENTITY["full_name"] not in docx_all_text(plain.data)

    head = as_role("head")
    assert "include_identity" in head.get(f"/cases/{sid}/appendix1").get_data(as_text=True)
    without = _export(head, sid)
    assert IDENTITY["full_name"] not in docx_all_text(without.data)
    with_identity = _export(head, sid, include_identity="y")
    assert with_identity.status_code == 200
    assert IDENTITY["full_name"] in docx_all_text(with_identity.data)
    flags = [e.details["identity"] for e in _audits(demo, "export.appendix1")]
    assert flags == [False, False, True]


def test_no_identity_without_consent(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    sid = store_portal_report(demo).submission_id  # anonymous: nothing to consent to
    head = as_role("head")
    head.get(f"/cases/{sid}")
    assert _export(head, sid, include_identity="y").status_code == 403
    assert _audits(demo, "export.appendix1") == []


def test_a_report_posing_as_an_identity_block_is_not_exported(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    """A forged case whose identity envelope is another case's report (heads hold reports
    too): neither the identity page nor the export opens it."""
    victim = store_portal_report(demo, facts="Victim's facts 91c2").submission_id
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    with demo.sessions() as s, s.begin():
        forged = s.get(Submission, sid)
        forged.identity_envelope_id = s.get(Submission, victim).report_envelope_id
    head = as_role("head")
    head.get(f"/cases/{sid}")
    assert "91c2" not in head.get(f"/cases/{sid}/identity").get_data(as_text=True)
    refused = _export(head, sid, include_identity="y")
    assert refused.status_code == 403 and "91c2" not in refused.get_data(as_text=True)
    assert _audits(demo, "identity.open") == []


def test_bad_export_input_is_4xx(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    sid = store_portal_report(demo).submission_id
    client = as_role("handler")
    client.get(f"/cases/{sid}")
    for extra in (
        {"received_at": "never"},
        {"facts": ""},
        {"lang": "en"},
        {"fmt": "pdf"},
        {"channel": "pigeon"},
        {"received_by": "x" * 1000},
    ):
        response = _export(client, sid, **extra)
        assert 400 <= response.status_code < 500, (extra, response.status_code)
    assert _audits(demo, "export.appendix1") == []
    assert client.get("/documents/appendix/4/ru/docx").status_code == 404
    assert client.get("/documents/appendix/2/en/docx").status_code == 404


def test_appendix_2_and_3(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    client = as_role("handler")
    for number in (2, 3):
        for lang in ("ru", "kk"):
            response = client.get(f"/documents/appendix/{number}/{lang}/docx")
            assert response.status_code == 200
            assert docx_all_text(response.data).strip()
            page = client.get(f"/documents/appendix/{number}/{lang}/html")
            assert page.status_code == 200 and page.mimetype == "text/html"
    assert client.get("/documents/print.css").mimetype == "text/css"
    assert len(_audits(demo, "export.appendix3")) == 4
    for role in ("admin", "auditor"):
        assert as_role(role).get("/documents/appendix/3/ru/docx").status_code == 403
