"""Appendix 2 (consent) and Appendix 3 (rights and obligations), and the Russian wording
checked against the legal source."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from documents import (
    ReporterDetails,
    appendix1,
    appendix2,
    appendix3,
    form_docx,
    form_html,
    rights_docx,
    rights_html,
)
from documents.text import FORMS, RIGHTS, SEED_CORRECTIONS
from rules.errors import AdalError
from tests.support.documents import DATA, assert_no_script, docx_text

SEED = Path(os.environ.get("ADAL_SEED_TEXT", "/work/shared/seed/000_fa95bc1488beccf1.txt"))


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_blank_consent_form_for_anyone(lang: str) -> None:
    sheet = appendix2(lang)
    text, _ = docx_text(form_docx(sheet))
    t = FORMS[lang]
    for expected in (t.appendix2, t.title2, t.reporter_caption, t.consent_caption):
        assert expected in text
        assert expected in form_html(sheet)
    assert [line.value for line in sheet.lines] == ["", ""]


def test_consent_line_reads_as_agreed() -> None:
    assert FORMS["ru"].consent_caption == (
        "(Согласен(на) на доступ к информации о себе, ФИО, подпись)"
    )


def test_prefilled_consent_form_only_for_a_head() -> None:
    reporter = ReporterDetails("Нурланова Асель", "бухгалтер", "бухгалтерия")
    text, _ = docx_text(form_docx(appendix2("kk", reporter, exporter_role="head")))
    assert "Нурланова Асель, бухгалтер, бухгалтерия" in text
    for role in ("handler", "admin", None):
        with pytest.raises(AdalError):
            appendix2("ru", reporter, exporter_role=role)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_rights_and_obligations_in_full(lang: str) -> None:
    sheet = appendix3(lang)
    rights = RIGHTS[lang]
    assert len(rights.rights) == 8 and len(rights.duties) == 3
    text, document = docx_text(rights_docx(sheet))
    page = rights_html(sheet)
    assert_no_script(page)
    for number, right in enumerate(rights.rights, start=1):
        assert f"{number}) {right}" in text
        assert f"{number}) {right}" in page
    for part in (
        rights.title,
        rights.rights_intro,
        rights.duties_intro,
        *rights.duties,
        rights.note_title,
        rights.note,
        FORMS[lang].appendix3,
    ):
        assert part in text and part in page
    assert document.core_properties.language == {"ru": "ru-RU", "kk": "kk-KZ"}[lang]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(
    not SEED.exists(),
    reason=f"legal source text not found at {SEED} "
    "(set ADAL_SEED_TEXT to seed/000_fa95bc1488beccf1.txt)",
)
def test_russian_wording_is_the_sources_own() -> None:
    """Every Russian sentence of Appendix 1-3 occurs in the source, word for word, except the
    listed corrections of its slips (documents.text.SEED_CORRECTIONS)."""
    source = _words(SEED.read_text(encoding="utf-8"))
    form, rights = FORMS["ru"], RIGHTS["ru"]
    sentences = [
        form.received_at,
        form.received_by,
        form.channel,
        form.title1,
        form.description,
        form.concerned,
        form.reporter,
        form.head_signature,
        form.title2,
        form.reporter_caption,
        form.consent_caption,
        form.appendix1,
        form.appendix2,
        form.appendix3,
        rights.title,
        rights.rights_intro,
        *rights.rights,
        rights.duties_intro,
        *rights.duties,
        rights.note_title,
        rights.note,
        *form.channels.values(),
    ]
    for sentence in sentences:
        original = SEED_CORRECTIONS.get(sentence, sentence)
        assert _words(original) in source, sentence
    for corrected, original in SEED_CORRECTIONS.items():
        assert _words(original) in source and _words(corrected) not in source


def test_kazakh_and_russian_have_the_same_shape() -> None:
    ru, kk = FORMS["ru"], FORMS["kk"]
    assert set(ru.channels) == set(kk.channels)
    for field in (
        "description",
        "concerned",
        "reporter",
        "head_signature",
        "reporter_caption",
        "consent_caption",
    ):
        value = getattr(kk, field)
        assert value.startswith("(") and value.endswith(")"), field
        assert value.count("(") == value.count(")"), field
    assert appendix1(DATA, "kk").lines[0].caption == kk.description
