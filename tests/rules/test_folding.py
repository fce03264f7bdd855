"""Search folding: letters match the way people type them (issue 15)."""

from __future__ import annotations

import pytest

from rules.folding import excerpt, fold


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("елка", "Ёлка"),
        ("ЁЛКА", "елка"),
        ("казакстан", "Қазақстан"),
        ("КАЗАКСТАН", "ҚАЗАҚСТАН"),
        ("алем", "Әлем"),
        ("гылым", "ғылым"),
        ("онир", "өңір"),
        ("улттык", "ұлттық"),
        ("уй", "үй"),
        ("хал", "һал"),
        ("иши", "ІШІ"),
        ("iшi", "іші"),  # a Latin "i" typed for "і"
        ("взятка в отделе", "Взятка\nв   отделе"),
        ("ﬁ", "fi"),  # NFKC: the ligature is two letters
    ],
)
def test_typed_form_matches_the_written_one(typed: str, written: str) -> None:
    assert fold(typed) in fold(written)


def test_different_letters_stay_different() -> None:
    assert fold("пара") not in fold("пора")
    assert fold("кол") != fold("гол")


def test_excerpt_points_at_the_match_in_the_original_text() -> None:
    text = "Басы. " + "сөз " * 50 + "Қазақстан Республикасы ішкі істер министрлігі. " + "соңы " * 50
    before, match, after = excerpt(text, "казакстан республикасы", width=20)
    assert match == "Қазақстан Республикасы"
    assert before.startswith("…") and after.endswith("…")
    assert len(before) + len(after) < 60


def test_excerpt_of_a_text_without_the_match_is_its_start() -> None:
    assert excerpt("short text", "absent") == ("", "", "short text")
