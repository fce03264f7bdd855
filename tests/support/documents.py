"""Sample Appendix 1 data and readers for the generated documents (DOCX text, script-free
HTML), shared by the document tests."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html.parser import HTMLParser

import docx

from documents import Confirmation, ReporterDetails

RECEIVED = datetime(2026, 3, 20, 9, 3, 27, tzinfo=UTC)  # 14:03 in Kazakhstan
REPORTER = ReporterDetails(
    "Нурланова Асель Маратовна", "главный бухгалтер", "бухгалтерия", consent=True
)
DATA = Confirmation(
    received_at=RECEIVED,
    received_by="Сейтқалиқызы Айгерім",
    channel="hotline",
    channel_details="звонок на линию доверия, запись № 15",
    facts="Начальник отдела закупок потребовал откат за подписание акта.",
    persons="Иванов И. И.",
    subject="200 000 тенге",
    position="начальник отдела",
    unit="отдел государственных закупок",
    head_name="Жұмабекұлы Ерлан",
    when="март 2026",
    reporter=REPORTER,
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_no_script(page: str) -> None:
    """No script element, no event handler attribute, no javascript: URL in any real tag."""
    parser = _Tags()
    parser.feed(page)
    assert parser.tags
    for tag, attrs in parser.tags:
        assert tag != "script"
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower(), (tag, name)


def docx_text(data: bytes) -> tuple[str, docx.document.Document]:
    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs), document


def docx_all_text(data: bytes) -> str:
    """Every paragraph and then every table cell of a DOCX, one a line."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)
