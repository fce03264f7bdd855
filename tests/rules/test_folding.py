"""Search folding: letters match the way people type them (issue 15)."""

from __future__ import annotations

import pytest

from rules.folding import excerpt, fold, pattern, prepare


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
        ("е\u0308лка", "ёлка"),  # a decomposed ё is composed (NFC)
        ("№ 5", "№ 5"),
    ],
)
def test_typed_form_matches_the_written_one(typed: str, written: str) -> None:
    assert fold(typed) in fold(written)
    assert pattern(typed).search(prepare(written)), (typed, written)


def test_different_letters_stay_different() -> None:
    assert fold("пара") not in fold("пора")
    assert fold("кол") != fold("гол")
    assert not pattern("пара").search("пора")
    assert not pattern("кол").search("гол")
    assert not pattern("a.c").search("abc")  # the query is text, not a regular expression


def test_excerpt_points_at_the_match_in_the_original_text() -> None:
    text = "Басы. " + "сөз " * 50 + "Қазақстан Республикасы ішкі істер министрлігі. " + "соңы " * 50
    found = pattern("казакстан республикасы").search(text)
    assert found is not None
    before, match, after = excerpt(text, *found.span(), width=20)
    assert match == "Қазақстан Республикасы"
    assert before.startswith("…") and after.endswith("…")
    assert len(before) + len(after) < 60


def test_excerpt_of_a_short_text_is_all_of_it() -> None:
    assert excerpt("a short text", 2, 7) == ("a ", "short", " text")
