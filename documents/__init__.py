"""Appendix 1, 2 and 3 of the 2026 recommendations, and the official letters a case needs,
as DOCX files and print-ready pages.

No Flask and no database: the back office (or the portal) passes plain data in, and gets
bytes or HTML out. What may be printed is decided in documents.forms; the wording lives in
documents.text.

    sheet = appendix1(confirmation, "ru", include_identity=False)
    form_docx(sheet) -> bytes          form_html(sheet) -> str
    rights_docx(appendix3("kk"))       rights_html(appendix3("kk"))
    letter = draft("confirmation_cover", "kk", LetterFacts(...))
    letter_docx(letter) -> bytes       letter_html(letter) -> str
"""

from documents.docx_render import form_docx, letter_docx, rights_docx
from documents.forms import (
    Confirmation,
    FormSheet,
    Line,
    ReporterDetails,
    RightsSheet,
    Signature,
    appendix1,
    appendix2,
    appendix3,
    check_identity_export,
    confirmation_from_report,
)
from documents.html_render import form_html, letter_html, print_css, rights_html
from documents.letters import (
    LETTER_KINDS,
    MATTER_LETTERS,
    Letter,
    LetterFacts,
    Recipient,
    body_text,
    draft,
    paragraphs_of,
)
from documents.text import LANGS, channel_name

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

__all__ = [
    "DOCX_MIMETYPE",
    "LANGS",
    "LETTER_KINDS",
    "MATTER_LETTERS",
    "Confirmation",
    "FormSheet",
    "Letter",
    "LetterFacts",
    "Line",
    "Recipient",
    "ReporterDetails",
    "RightsSheet",
    "Signature",
    "appendix1",
    "appendix2",
    "appendix3",
    "body_text",
    "channel_name",
    "check_identity_export",
    "confirmation_from_report",
    "draft",
    "form_docx",
    "form_html",
    "letter_docx",
    "letter_html",
    "paragraphs_of",
    "print_css",
    "rights_docx",
    "rights_html",
]
