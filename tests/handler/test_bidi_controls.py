"""Issue 12, item 7: bidirectional controls in a reporter's text are shown, not obeyed.

"Получил 100\u202e000 1" displays as if the sum were different: U+202E (RIGHT-TO-LEFT
OVERRIDE) reverses what follows it. The case page, the reporter's messages, the Appendix 1
draft and its DOCX and print exports must show a marked placeholder instead, so the handler and
the head who signs see that the text contained one.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import docx
import pytest

from tests.support.backoffice import Browser, reporter_follows_up, store_portal_report
from tests.support.instance import DemoInstance

CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
FACTS = "Получил 100\u202e000 1 тенге \u2066наличными\u2069"


def _no_controls(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS})
    assert not found, found


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_case_page_marks_controls_in_the_report_and_messages(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    report = store_portal_report(demo, facts=FACTS)
    reporter_follows_up(demo, report, "Ещё: \u202eотчёт\u202c и " + CONTROLS)
    page = as_role("handler").get(f"/cases/{report.submission_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    _no_controls(body)
    assert '<mark class="control"' in body
    assert "[U+202E]</mark>000 1" in body
    for char in CONTROLS:
        assert f"[U+{ord(char):04X}]" in body


@pytest.mark.parametrize("fmt", ["docx", "html"])
def test_the_appendix1_draft_and_exports_show_placeholders(
    demo: DemoInstance, as_role: Callable[[str], Browser], fmt: str
) -> None:
    sid = store_portal_report(demo, facts=FACTS).submission_id
    handler = as_role("handler")
    draft = handler.get(f"/cases/{sid}/appendix1")
    assert draft.status_code == 200
    _no_controls(draft.get_data(as_text=True))
    assert "100[U+202E]000 1" in draft.get_data(as_text=True)
    # A handler who edits the draft in a browser can still send a raw control back.
    response = handler.post(
        f"/cases/{sid}/appendix1",
        {
            "received_at": "2026-03-23T10:30",
            "received_by": "Иванова А. Б.",
            "channel": "portal",
            "facts": FACTS,
            "persons": "\u202eвонавИ\u202c",
            "lang": "ru",
            "fmt": fmt,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    text = _docx_text(response.data) if fmt == "docx" else response.get_data(as_text=True)
    _no_controls(text)
    assert "Получил 100[U+202E]000 1 тенге [U+2066]наличными[U+2069]" in text
    assert "[U+202E]вонавИ[U+202C]" in text
