"""Issue 11, item 11: Appendix 1's description names the kind of offence of p3."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from documents import Confirmation, appendix1
from documents.text import FORMS

DATA = Confirmation(
    received_at=datetime(2026, 5, 8, 5, 30, tzinfo=UTC),
    received_by="Иванова А. Б.",
    channel="portal",
    facts="Взятка при закупке",
)


def _description(data: Confirmation, lang: str) -> str:
    sheet = appendix1(data, lang)
    return next(line.value for line in sheet.lines if line.caption == FORMS[lang].description)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_each_kind_is_printed_last_in_the_description(lang: str) -> None:
    text = FORMS[lang]
    for kind in ("crime", "administrative", "undetermined"):
        description = _description(replace(DATA, offence_type=kind), lang)
        assert description.endswith(f"{text.offence_type}: {text.offence_types[kind]}")
    # An unknown value is never printed as if it were a finding.
    assert _description(replace(DATA, offence_type="x"), lang).endswith(
        text.offence_types["undetermined"]
    )
