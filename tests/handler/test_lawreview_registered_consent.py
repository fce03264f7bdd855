"""p10-p11 (5), p14: a report registered from another channel (p5.1-p5.4, p5.6) with the
reporter's consent marked is not a report from the anonymous web portal. Neither the case, the
disclosure page nor Appendix 1 may say the consent was ticked on the portal: Appendix 1 is the
written confirmation the head signs and sends to the Anti-Corruption Service (p9)."""

from __future__ import annotations

import io
from collections.abc import Callable

import docx

from tests.support.backoffice import Browser
from tests.support.instance import DemoInstance

NAME = "Марат Беков"


def _register_hotline(handler: Browser) -> str:
    response = handler.post(
        "/register",
        {
            "channel": "hotline",
            "received_at": "2026-03-02T10:15",
            "received_by": "Айгерім",
            "channel_details": "звонок на горячую линию",
            "facts": "Вымогательство взятки",
            "persons": "",
            "subject": "",
            "position": "начальник",
            "unit": "ЦОН",
            "when": "",
            "where": "",
            "full_name": NAME,
            "reporter_position": "специалист",
            "reporter_unit": "ЦОН",
            "consent": "y",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_registered_consent_is_not_called_a_portal_tick(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = _register_hotline(as_role("handler"))
    head = as_role("head")
    for path in (f"/cases/{sid}", f"/cases/{sid}/disclosure", f"/cases/{sid}/appendix1"):
        page = head.get(path).get_data(as_text=True)
        assert "on the portal" not in page, path
        assert "when the report was registered" in page, path
    response = head.post(
        f"/cases/{sid}/appendix1",
        {
            "received_at": "2026-03-02T10:15",
            "received_by": "Айгерім",
            "channel": "hotline",
            "facts": "Вымогательство взятки",
            "lang": "ru",
            "fmt": "docx",
            "include_identity": "y",
            "basis": "consent",
        },
    )
    assert response.status_code == 200
    text = _docx_text(response.data)
    assert "веб-портале" not in text
    assert (
        f"{NAME}, специалист, ЦОН; согласие отмечено при регистрации сообщения "
        "(получение подписанного приложения 2 не записано)"
    ) in text
