"""The calendar page names the public holidays in the interface language, Russian included
(holidays.KZ itself has no Russian names), and shows the 2026-2027 calendar of the new
Constitution: no 30 August in 2026, 15 March from 2027 (issue 11 item 14)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.backoffice import Browser

# (language, Kurban Ait 2026, a day moved from a weekend, Constitution Day 2027)
NAMES = [
    (
        "ru",
        "Курбан айт",
        "День Победы (перенесённый выходной день)",
        "День Конституции Республики Казахстан",
    ),
    (
        "kk",
        "Құрбан айт",
        "Жеңіс күні (демалыс күнінен ауыстырылған демалыс)",
        "Қазақстан Республикасының Конституциясы күні",
    ),
    (
        "en",
        "Kurban Ait",
        "Victory Day (day off moved from a weekend)",
        "Constitution Day of the Republic of Kazakhstan",
    ),
]


@pytest.mark.parametrize(("lang", "kurban", "moved", "constitution"), NAMES)
def test_holiday_names_in_the_interface_language(
    as_role: Callable[[str], Browser], lang: str, kurban: str, moved: str, constitution: str
) -> None:
    admin = as_role("admin")
    admin.get(f"/lang/{lang}")
    page_2026 = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert kurban in page_2026
    assert moved in page_2026  # 9 May 2026 is a Saturday: Monday 11 May is off
    assert "Victory Day" not in page_2026 or lang == "en"
    # The 2026 Constitution took effect on 1 July 2026: 30 August is no holiday any more.
    assert constitution not in page_2026
    page_2027 = admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert constitution in page_2027
