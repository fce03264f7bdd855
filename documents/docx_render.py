"""Sheets as DOCX (python-docx): A4, Times New Roman 14 pt, margins of Kazakh office practice.

Form lines are paragraphs with a bottom rule and the caption underneath in small italics, the
way the printed forms look; a blank line is a rule to fill in by hand. The file carries no
author or application name: an exported document should not say who made it.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.text.paragraph import Paragraph

from documents.forms import FormSheet, Line, RightsSheet, Signature
from documents.letters import Letter

FONT = "Times New Roman"
BODY_PT = 14
CAPTION_PT = 10
CORNER_PT = 12
LANG_TAGS = {"ru": "ru-RU", "kk": "kk-KZ"}

# Schema order of <w:pPr> children after <w:pBdr>, and of <w:rPr> children after <w:lang>:
# Word rejects a file whose elements are out of order, so new ones go before these.
_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")


def _new_document(lang: str, title: str) -> DocumentObject:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    r_pr = normal.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), LANG_TAGS[lang])
    r_pr.insert_element_before(lang_el, *_AFTER_LANG)
    normal.paragraph_format.space_after = Pt(0)
    props = document.core_properties
    props.title = title
    props.language = LANG_TAGS[lang]
    props.author = ""
    props.last_modified_by = ""
    props.comments = ""
    props.keywords = ""
    props.subject = ""
    props.revision = 1
    now = datetime.now(UTC).replace(microsecond=0)
    props.created = props.modified = now
    return document


def _save(document: DocumentObject) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _text(
    paragraph: Paragraph,
    value: str,
    *,
    size: int | None = None,
    bold: bool = False,
    italic: bool = False,
) -> None:
    """Add ``value`` as one run; python-docx turns "\n" into line breaks and "\t" into tabs,
    so a multi-line description stays one paragraph above one rule."""
    run = paragraph.add_run(value)
    run.bold = bold or None
    run.italic = italic or None
    if size is not None:
        run.font.size = Pt(size)


def _bottom_rule(paragraph: Paragraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (
        ("w:val", "single"),
        ("w:sz", "6"),
        ("w:space", "1"),
        ("w:color", "000000"),
    ):
        bottom.set(qn(attr), value)
    borders.append(bottom)
    p_pr.insert_element_before(borders, *_AFTER_PBDR)


def _corner(document: DocumentObject, lines: tuple[str, ...]) -> None:
    for i, text in enumerate(lines):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(9)
        _text(paragraph, text, size=CORNER_PT)
        if i == len(lines) - 1:
            paragraph.paragraph_format.space_after = Pt(18)


def _line(document: DocumentObject, line: Line, *, indent: bool = False) -> None:
    value = document.add_paragraph()
    if indent:
        value.paragraph_format.left_indent = Cm(7)
    value.paragraph_format.space_before = Pt(6)
    _text(value, line.value or " ")
    _bottom_rule(value)
    caption = document.add_paragraph()
    if indent:
        caption.paragraph_format.left_indent = Cm(7)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_after = Pt(8)
    _text(caption, line.caption, size=CAPTION_PT, italic=True)


def _title(document: DocumentObject, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(18)
    paragraph.paragraph_format.space_after = Pt(12)
    _text(paragraph, text, bold=True)


def _signature(document: DocumentObject, signature: Signature) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(30)
    stops = paragraph.paragraph_format.tab_stops
    stops.add_tab_stop(Cm(7.5), WD_TAB_ALIGNMENT.LEFT)
    stops.add_tab_stop(Cm(16.5), WD_TAB_ALIGNMENT.RIGHT)
    _text(paragraph, f"{signature.name}\t{signature.signature_blank}\t{signature.date_blank}")
    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _text(caption, signature.caption, size=CAPTION_PT, italic=True)


def form_docx(sheet: FormSheet) -> bytes:
    """Appendix 1 or 2 as a .docx file."""
    document = _new_document(sheet.lang, sheet.document_title)
    _corner(document, sheet.corner)
    for line in sheet.head:
        _line(document, line, indent=True)
    _title(document, sheet.title)
    for line in sheet.lines:
        _line(document, line)
    if sheet.signature is not None:
        _signature(document, sheet.signature)
    return _save(document)


def _justified(document: DocumentObject, text: str, *, first_line: bool = True) -> Paragraph:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if first_line:
        paragraph.paragraph_format.first_line_indent = Cm(1.25)
    paragraph.paragraph_format.space_after = Pt(4)
    _text(paragraph, text)
    return paragraph


def rights_docx(sheet: RightsSheet) -> bytes:
    """Appendix 3 as a .docx file."""
    rights = sheet.text
    document = _new_document(sheet.lang, sheet.title)
    _corner(document, sheet.corner)
    _title(document, sheet.title)
    _justified(document, rights.rights_intro)
    for number, right in enumerate(rights.rights, start=1):
        _justified(document, f"{number}) {right}")
    _justified(document, rights.duties_intro).paragraph_format.space_before = Pt(8)
    for duty in rights.duties:
        _justified(document, f"– {duty}")
    note = document.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    note.paragraph_format.space_before = Pt(12)
    note.paragraph_format.first_line_indent = Cm(1.25)
    _text(note, rights.note_title, bold=True)
    _text(note, f" {rights.note}")
    footnote = document.add_paragraph()
    footnote.paragraph_format.space_before = Pt(12)
    _text(footnote, rights.law_note, size=CAPTION_PT)
    return _save(document)


def letter_docx(letter: Letter) -> bytes:
    """An official letter (documents.letters) as a .docx file: the sender and the outgoing
    number and date on the left, the addressee block on the right, the subject, the body
    justified with a first-line indent, the attachments and the head's signature block."""
    document = _new_document(letter.lang, letter.document_title)
    if letter.sender:
        sender = document.add_paragraph()
        sender.paragraph_format.space_after = Pt(6)
        _text(sender, letter.sender, bold=True)
    outgoing = document.add_paragraph()
    outgoing.paragraph_format.space_after = Pt(12)
    _text(outgoing, letter.outgoing_line)
    for i, line in enumerate(letter.addressee_lines):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(9)
        _text(paragraph, line, bold=True)
        if i == len(letter.addressee_lines) - 1:
            paragraph.paragraph_format.space_after = Pt(18)
    if letter.subject:
        subject = document.add_paragraph()
        subject.paragraph_format.space_after = Pt(12)
        _text(subject, letter.subject, italic=True)
    for paragraph_text in letter.paragraphs:
        _justified(document, paragraph_text)
    if letter.attachments_line:
        attachments = _justified(document, letter.attachments_line, first_line=False)
        attachments.paragraph_format.space_before = Pt(12)
    signature = document.add_paragraph()
    signature.paragraph_format.space_before = Pt(30)
    stops = signature.paragraph_format.tab_stops
    stops.add_tab_stop(Cm(7.5), WD_TAB_ALIGNMENT.LEFT)
    stops.add_tab_stop(Cm(16.5), WD_TAB_ALIGNMENT.RIGHT)
    _text(
        signature,
        f"{letter.signatory_position}\t{letter.labels.signature_blank}\t{letter.signature_name}",
        bold=True,
    )
    return _save(document)
