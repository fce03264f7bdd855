"""The register of reports (Журнал учёта сообщений / хабарламаларды есепке алу журналы) as DOCX
(python-docx, the house style of documents.docx_render on a landscape A4) and XLSX (openpyxl), in
Russian or Kazakh.

No Flask and no database: the caller passes a register shaped like :class:`Book` (the one
cases.register_book gathers satisfies it) and gets bytes back. The register holds dates,
channels, statuses, deadlines and the written confirmation's outgoing number and date only: it
has no field for a report's content, a reporter or a time of day, so none can be printed.

The channel is printed in the p5 wording of Appendix 1 (documents.text.channel_name), the
deadlines with their paragraph; the words of the register live here, next to the layout.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Protocol
from xml.sax.saxutils import escape

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length, Mm, Pt
from docx.table import _Cell, _Row
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from documents.docx_render import FONT, _new_document, _save, _text, _title
from documents.text import channel_name

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_PT = 9
XLSX_DATE = "DD.MM.YYYY"
# The deadlines in paragraph order; a register shows a column (XLSX) or a line (DOCX) for each.
DEADLINE_KEYS = (
    "nda",
    "kns_notification",
    "written_confirmation",
    "commission_materials",
    "commission_decision_copy",
    "agency_notice",
)


class BookDeadline(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def due_on(self) -> date: ...
    @property
    def outcome(self) -> str: ...  # "met" | "met_late" | "missed" | "open"
    @property
    def done_on(self) -> date | None: ...
    @property
    def exact(self) -> bool: ...


class BookRow(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def received_on(self) -> date: ...
    @property
    def channel(self) -> str: ...
    @property
    def offence_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def deadlines(self) -> Sequence[BookDeadline]: ...
    @property
    def outgoing_number(self) -> str: ...
    @property
    def outgoing_date(self) -> date | None: ...


class Book(Protocol):
    @property
    def since(self) -> date: ...
    @property
    def until(self) -> date: ...
    @property
    def made_on(self) -> date: ...
    @property
    def rows(self) -> Sequence[BookRow]: ...


@dataclass(frozen=True)
class RegisterText:
    title: str
    period: str  # formatted with since, until
    judged_on: str  # formatted with date
    empty: str
    number: str
    received_on: str
    channel: str
    offence_type: str
    status: str
    deadlines: str
    due: str  # XLSX column: formatted with name
    done: str  # XLSX column: formatted with name
    outgoing_number: str
    outgoing_date: str
    line: str  # one deadline in the DOCX cell: formatted with name, due, outcome
    done_on: str  # an outcome with its day: formatted with outcome, date
    inexact: str  # the note on an NDA deadline judged on the earliest possible time
    deadline_names: MappingProxyType[str, str]
    outcomes: MappingProxyType[str, str]
    statuses: MappingProxyType[str, str]
    offence_types: MappingProxyType[str, str]
    sheet_name: str


_CIVIL_SERVICE_RU = "уполномоченный орган по делам государственной службы"
_CIVIL_SERVICE_KK = "мемлекеттік қызмет істері жөніндегі уәкілетті орган"

REGISTER: MappingProxyType[str, RegisterText] = MappingProxyType(
    {
        "ru": RegisterText(
            title="Журнал учёта сообщений о коррупционных правонарушениях",
            period="за период с {since} по {until} (по дате поступления сообщения)",
            judged_on="Состояние сроков указано на {date}",
            empty="За период сообщений не поступало.",
            number="№ п/п",
            received_on="Дата поступления сообщения",
            channel="Способ поступления (пункт 5 Рекомендаций)",
            offence_type="Вид правонарушения (пункт 3 Рекомендаций)",
            status="Состояние",
            deadlines="Сроки: дата истечения и отметка об исполнении",
            due="{name}: срок",
            done="{name}: исполнение",
            outgoing_number=(
                "Исходящий номер письменного подтверждения в СПК КНБ (пункт 9 Рекомендаций)"
            ),
            outgoing_date=(
                "Исходящая дата письменного подтверждения в СПК КНБ (пункт 9 Рекомендаций)"
            ),
            line="{name}: срок {due} — {outcome}",
            done_on="{outcome} {date}",
            inexact="* срок по пункту 7 определён от начала дня поступления: точное время "
            "поступления сообщения в журнал не вносится",
            deadline_names=MappingProxyType(
                {
                    "nda": "п. 7 — соглашение о неразглашении",
                    "kns_notification": "п. 8 — информирование СПК КНБ через колл-центр 1424",
                    "written_confirmation": "п. 9 — письменное подтверждение в СПК КНБ",
                    "commission_materials": f"п. 18 — материалы в {_CIVIL_SERVICE_RU}",
                    "commission_decision_copy": "п. 19 — копия решения или протокола в "
                    + _CIVIL_SERVICE_RU,
                    "agency_notice": "п. 20 — соглашение, заседание и решение комиссии (30 "
                    "календарных дней со дня обращения работника в уполномоченный орган по делам "
                    "государственной службы)",
                }
            ),
            outcomes=MappingProxyType(
                {
                    "met": "соблюдён",
                    "met_late": "исполнено с опозданием",
                    "missed": "пропущен",
                    "open": "не истёк",
                }
            ),
            statuses=MappingProxyType(
                {
                    "new": "поступило, не открыто",
                    "registered": "зарегистрировано",
                    "kns_notified": "СПК КНБ проинформирована",
                    "confirmation_sent": "письменное подтверждение передано",
                    "decision_received": "решение получено",
                    "reporter_informed": "работник проинформирован",
                    "closed": "закрыто",
                    "closed_without_decision": "закрыто без решения",
                }
            ),
            offence_types=MappingProxyType(
                {
                    "crime": "коррупционное преступление",
                    "administrative": "административное коррупционное правонарушение",
                    "undetermined": "не определён",
                }
            ),
            sheet_name="Журнал учёта",
        ),
        "kk": RegisterText(
            title="Сыбайлас жемқорлық құқық бұзушылықтар туралы хабарламаларды есепке алу журналы",
            period="Кезең: {since} – {until} (хабарламаның түскен күні бойынша)",
            judged_on="Мерзімдердің жай-күйі {date} жағдай бойынша көрсетілген",
            empty="Көрсетілген кезеңде хабарламалар түспеген.",
            number="Р/с №",
            received_on="Хабарламаның түскен күні",
            channel="Түсу тәсілі (Ұсынымдардың 5-тармағы)",
            offence_type="Құқық бұзушылықтың түрі (Ұсынымдардың 3-тармағы)",
            status="Жай-күйі",
            deadlines="Мерзімдер: өту күні және орындалғаны туралы белгі",
            due="{name}: мерзімі",
            done="{name}: орындалуы",
            outgoing_number=(
                "ҰҚК СЖҚҚ-ға жіберілген жазбаша растаудың шығыс нөмірі (Ұсынымдардың 9-тармағы)"
            ),
            outgoing_date=(
                "ҰҚК СЖҚҚ-ға жіберілген жазбаша растаудың шығыс күні (Ұсынымдардың 9-тармағы)"
            ),
            line="{name}: мерзімі {due} — {outcome}",
            done_on="{outcome} {date}",
            inexact="* 7-тармақ бойынша мерзім түскен күннің басынан бастап айқындалды: "
            "хабарламаның түскен нақты уақыты журналға енгізілмейді",
            deadline_names=MappingProxyType(
                {
                    "nda": "7-т. — жария етпеу туралы келісім",
                    "kns_notification": (
                        "8-т. — ҰҚК СЖҚҚ-ны 1424 байланыс орталығы арқылы хабардар ету"
                    ),
                    "written_confirmation": "9-т. — ҰҚК СЖҚҚ-ға жазбаша растау",
                    "commission_materials": f"18-т. — материалдарды {_CIVIL_SERVICE_KK}ға жіберу",
                    "commission_decision_copy": "19-т. — шешімнің немесе хаттаманың көшірмесін "
                    f"{_CIVIL_SERVICE_KK}ға жіберу",
                    "agency_notice": "20-т. — келісім, комиссия отырысы және шешім (қызметкер "
                    f"{_CIVIL_SERVICE_KK}ға жүгінген күннен бастап 30 күнтізбелік күн)",
                }
            ),
            outcomes=MappingProxyType(
                {
                    "met": "сақталды",
                    "met_late": "кешігіп орындалды",
                    "missed": "сақталмады",
                    "open": "мерзімі өтпеген",
                }
            ),
            statuses=MappingProxyType(
                {
                    "new": "түсті, ашылмаған",
                    "registered": "тіркелді",
                    "kns_notified": "ҰҚК СЖҚҚ хабардар етілді",
                    "confirmation_sent": "жазбаша растау жіберілді",
                    "decision_received": "шешім алынды",
                    "reporter_informed": "қызметкер хабардар етілді",
                    "closed": "жабылды",
                    "closed_without_decision": "шешімсіз жабылды",
                }
            ),
            offence_types=MappingProxyType(
                {
                    "crime": "сыбайлас жемқорлық қылмыс",
                    "administrative": "әкімшілік сыбайлас жемқорлық құқық бұзушылық",
                    "undetermined": "айқындалмаған",
                }
            ),
            sheet_name="Есепке алу журналы",
        ),
    }
)


def register_text(lang: str) -> RegisterText:
    if lang not in REGISTER:
        raise ValueError(f"the register exists in {', '.join(REGISTER)}, not {lang!r}")
    return REGISTER[lang]


def day(value: date | None) -> str:
    """The date as Kazakh and Russian office documents write it: 14.12.2026."""
    return value.strftime("%d.%m.%Y") if value is not None else ""


def _outcome(text: RegisterText, deadline: BookDeadline) -> str:
    outcome = text.outcomes.get(deadline.outcome, deadline.outcome)
    if deadline.done_on is not None:
        outcome = text.done_on.format(outcome=outcome, date=day(deadline.done_on))
    return outcome + ("*" if not deadline.exact else "")


def _lookup(names: MappingProxyType[str, str], key: str) -> str:
    return names.get(key, key)


def _cells(text: RegisterText, lang: str, row: BookRow) -> list[str]:
    """The common columns of a row: number, receipt date, channel, offence type, status."""
    return [
        str(row.number),
        day(row.received_on),
        channel_name(lang, row.channel),
        _lookup(text.offence_types, row.offence_type),
        _lookup(text.statuses, row.status),
    ]


def _inexact(book: Book) -> bool:
    return any(not d.exact for row in book.rows for d in row.deadlines)


def register_docx(book: Book, lang: str) -> bytes:
    """The register as a .docx file: a landscape A4 table with a heading row repeated on every
    page, one row per report and the deadlines as lines of one cell."""
    text = register_text(lang)
    document = _new_document(lang, text.title)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin, section.right_margin = Mm(20), Mm(15)
    _title(document, text.title)
    for line in (
        text.period.format(since=day(book.since), until=day(book.until)),
        text.judged_on.format(date=day(book.made_on)),
    ):
        _text(document.add_paragraph(), line, size=12)
    headings = [
        text.number,
        text.received_on,
        text.channel,
        text.offence_type,
        text.status,
        text.deadlines,
        text.outgoing_number,
        text.outgoing_date,
    ]
    widths = [Mm(12), Mm(22), Mm(45), Mm(32), Mm(28), Mm(80), Mm(22), Mm(21)]
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, heading, width in zip(table.rows[0].cells, headings, widths, strict=True):
        cell.width = width
        _cell(cell, heading, bold=True)
    _repeat_heading(table.rows[0])
    for row in book.rows:
        lines = [
            text.line.format(
                name=_lookup(text.deadline_names, d.key),
                due=day(d.due_on),
                outcome=_outcome(text, d),
            )
            for d in row.deadlines
        ]
        values = [
            *_cells(text, lang, row),
            "\n".join(lines),
            row.outgoing_number,
            day(row.outgoing_date),
        ]
        table._tbl.append(_row_xml(values, widths))
    if not book.rows:
        _text(document.add_paragraph(), text.empty, size=12)
    if _inexact(book):
        _text(document.add_paragraph(), text.inexact, size=TABLE_PT)
    return _save(document)


def _cell(cell: _Cell, value: str, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(value)
    run.font.size = Pt(TABLE_PT)
    run.font.name = FONT
    run.bold = bold or None


def _row_xml(values: list[str], widths: list[Length]) -> BaseOxmlElement:
    """One table row written as XML at once: python-docx's cell by cell API costs ~10 ms a row,
    which a 10,000-report register cannot afford. The same markup _cell makes: the width, one
    paragraph, one 9 pt run, a line break for each "\n"."""
    size = TABLE_PT * 2  # half-points
    cells = []
    for value, width in zip(values, widths, strict=True):
        parts = "<w:br/>".join(
            f'<w:t xml:space="preserve">{escape(part)}</w:t>' for part in value.split("\n")
        )
        cells.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{width.twips}" w:type="dxa"/></w:tcPr><w:p><w:r>'
            f'<w:rPr><w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>{parts}</w:r></w:p>'
            "</w:tc>"
        )
    return parse_xml(f"<w:tr {nsdecls('w')}>{''.join(cells)}</w:tr>")


def _repeat_heading(row: _Row) -> None:
    """Mark the heading row to repeat at the top of every printed page (w:tblHeader)."""
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _deadline_cells(text: RegisterText, row: BookRow, key: str) -> tuple[object, str]:
    """The due date and the outcome of one deadline of a row: a real date when there is one,
    lines of text when a report has several (one per protection matter)."""
    found = [d for d in row.deadlines if d.key == key]
    if not found:
        return None, ""
    outcomes = "\n".join(_outcome(text, d) for d in found)
    if len(found) == 1:
        return found[0].due_on, outcomes
    return "\n".join(day(d.due_on) for d in found), outcomes


def register_xlsx(book: Book, lang: str) -> bytes:
    """The register as an .xlsx workbook: one sheet, the title and period above a table with a
    column for each deadline's due date and its outcome, dates as real dates."""
    text = register_text(lang)
    workbook = Workbook(write_only=True)
    # No author or application name, like the DOCX: an exported file should not say who made it.
    workbook.properties.creator = ""
    workbook.properties.title = text.title
    workbook.properties.language = lang
    sheet = workbook.create_sheet(text.sheet_name)
    headings = [text.number, text.received_on, text.channel, text.offence_type, text.status]
    for key in DEADLINE_KEYS:
        name = text.deadline_names[key]
        headings += [text.due.format(name=name), text.done.format(name=name)]
    headings += [text.outgoing_number, text.outgoing_date]
    widths = [7, 13, 40, 28, 24, *([14, 22] * len(DEADLINE_KEYS)), 18, 14]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A5"
    sheet.append([text.title])
    sheet.append([text.period.format(since=day(book.since), until=day(book.until))])
    sheet.append([text.judged_on.format(date=day(book.made_on))])
    sheet.append(_heading_cells(sheet, headings))
    for row in book.rows:
        values: list[object] = [row.number, row.received_on, *_cells(text, lang, row)[2:]]
        for key in DEADLINE_KEYS:
            values += _deadline_cells(text, row, key)
        values += [row.outgoing_number or None, row.outgoing_date]
        sheet.append([_value(sheet, v) for v in values])
    if not book.rows:
        sheet.append([text.empty])
    if _inexact(book):
        sheet.append([text.inexact])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _heading_cells(sheet: WriteOnlyWorksheet, headings: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells.append(cell)
    return cells


def _value(sheet: WriteOnlyWorksheet, value: object) -> object:
    """Dates as real date cells shown the office way (14.12.2026); text wrapped in its cell."""
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE
        return cell
    if isinstance(value, str) and "\n" in value:
        cell = WriteOnlyCell(sheet, value=value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    return value
