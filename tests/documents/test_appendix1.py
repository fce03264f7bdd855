"""Appendix 1 (written confirmation, p10-p11) as DOCX and print page, in Russian and Kazakh."""

from __future__ import annotations

from datetime import datetime

import pytest

from documents import (
    Confirmation,
    ReporterDetails,
    appendix1,
    confirmation_from_report,
    form_docx,
    form_html,
)
from documents.text import FORMS
from rules.errors import AdalError
from tests.support.documents import DATA, RECEIVED, REPORTER, assert_no_script, docx_text

VALUES = [
    "20.03.2026, 14:03",
    DATA.received_by,
    DATA.channel_details,
    DATA.facts,
    DATA.persons,
    DATA.subject,
    DATA.position,
    DATA.unit,
    DATA.head_name,
    DATA.when,
]
CHANNEL = {
    "ru": "телефонный канал (телефон доверия или горячая линия) "
    "(подпункт 4) пункта 5 Рекомендаций)",
    "kk": "телефон арнасы (сенім телефоны немесе жедел желі) "
    "(Ұсынымдардың 5-тармағының 4) тармақшасы)",
}


def captions(lang: str) -> list[str]:
    t = FORMS[lang]
    return [
        t.appendix1,
        t.reference,
        t.received_at,
        t.received_by,
        t.channel,
        t.title1,
        t.description,
        t.concerned,
        t.reporter,
        t.head_signature,
        t.date_blank,
        t.time_zone,
    ]


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_docx_holds_every_p11_field_in_its_language(lang: str) -> None:
    text, document = docx_text(form_docx(appendix1(DATA, lang)))
    for expected in [*VALUES, CHANNEL[lang], *captions(lang)]:
        assert expected in text, expected
    other = "kk" if lang == "ru" else "ru"
    for foreign in captions(other):
        assert foreign not in text, foreign
    props = document.core_properties
    assert props.language == {"ru": "ru-RU", "kk": "kk-KZ"}[lang]
    assert props.title == FORMS[lang].title1
    assert props.author == "" and props.last_modified_by == ""
    assert "python-docx" not in (props.comments or "")
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_description_keeps_its_lines_and_labels() -> None:
    text, _ = docx_text(form_docx(appendix1(DATA, "ru")))
    assert f"Факты: {DATA.facts}\nЛица: {DATA.persons}\nПредмет: {DATA.subject}" in text
    assert "Где:" not in text  # empty fields are left out, not printed blank


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_identity_only_for_a_head_with_consent(lang: str) -> None:
    with_identity, _ = docx_text(
        form_docx(appendix1(DATA, lang, include_identity=True, exporter_role="head"))
    )
    assert "Нурланова Асель Маратовна, главный бухгалтер, бухгалтерия" in with_identity
    without, _ = docx_text(form_docx(appendix1(DATA, lang, exporter_role="head")))
    assert "Нурланова" not in without and "главный бухгалтер" not in without
    assert FORMS[lang].not_given in without


@pytest.mark.parametrize(
    ("reporter", "role", "code"),
    [
        (REPORTER, "handler", "not_head"),
        (REPORTER, None, "not_head"),
        (ReporterDetails("Нурланова Асель", consent=False), "head", "no_consent"),
        (None, "head", "no_identity"),
        (ReporterDetails("  ", consent=True), "head", "no_identity"),
    ],
)
def test_builder_refuses_identity_otherwise(
    reporter: ReporterDetails | None, role: str | None, code: str
) -> None:
    data = Confirmation(**{**DATA.__dict__, "reporter": reporter})
    with pytest.raises(AdalError) as caught:
        appendix1(data, "ru", include_identity=True, exporter_role=role)
    assert caught.value.code == code


def test_anonymous_and_withheld_identity_read_the_same() -> None:
    anonymous = Confirmation(**{**DATA.__dict__, "reporter": None})
    no_consent = Confirmation(**{**DATA.__dict__, "reporter": ReporterDetails("X")})
    assert appendix1(anonymous, "kk").lines == appendix1(no_consent, "kk").lines


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_print_page_shows_the_same_fields_and_runs_no_script(lang: str) -> None:
    hostile = Confirmation(
        **{**DATA.__dict__, "facts": '<script>alert(1)</script><img src=x onerror="y">'}
    )
    page = form_html(appendix1(hostile, lang, include_identity=True, exporter_role="head"))
    for expected in [
        *[v for v in VALUES if v != DATA.facts],
        CHANNEL[lang],
        *captions(lang),
        REPORTER.full_name,
    ]:
        assert expected in page, expected
    assert f'<html lang="{lang}">' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert_no_script(page)
    assert "<style>" in page and "@page" in page and "A4" in page
    linked = form_html(appendix1(DATA, lang), stylesheet_href="/documents/print.css")
    assert '<link rel="stylesheet" href="/documents/print.css">' in linked
    assert "<style>" not in linked


def test_confirmation_from_a_decrypted_report() -> None:
    report = {
        "received_at": "2026-03-20T09:03:27.000000Z",
        "channel": "portal",
        "facts": " Откат ",
        "persons": "Иванов",
        "subject": "деньги",
        "position": "начальник",
        "unit": "закупки",
        "when": "",
        "where": "Астана",
        "attachment_count": 2,
        "identity_provided": False,
    }
    data = confirmation_from_report(
        report, received_at=RECEIVED, received_by="Айгерім", head_name="Ерлан", channel="portal"
    )
    assert (data.facts, data.where, data.channel_details) == ("Откат", "Астана", "")
    sheet = appendix1(data, "ru")
    assert sheet.head[2].value == "анонимный веб-портал (подпункт 5) пункта 5 Рекомендаций)"


def test_naive_receipt_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        Confirmation(
            received_at=datetime(2026, 3, 20, 14, 3), received_by="x", channel="portal", facts="y"
        )


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError):
        appendix1(DATA, "en")


def test_control_characters_from_a_report_do_not_break_the_export() -> None:
    hostile = Confirmation(
        **{
            **DATA.__dict__,
            "facts": "строка\x00один\x0b\r\nстрока два\ufffe",
            "persons": "\x1b[31mИванов",
            "head_name": "Ерлан\x07",
        }
    )
    for lang in ("ru", "kk"):
        sheet = appendix1(hostile, lang)
        text, _ = docx_text(form_docx(sheet))
        assert "строкаодин\nстрока два" in text and "[31mИванов" in text
        assert "\x00" not in form_html(sheet)
