"""Text folding for search: letters match the way people type them.

Staff type Kazakh on Russian keyboards, or Russian without ё, so a search for "казак" must find
"қазақ" and "еж" must find "ёж". Both the query and the text are folded the same way:

* NFKC normalisation in `fold` (composed letters, compatibility forms such as full-width
  digits); NFC, which composes letters but keeps "№" a "№", in the fast path (`pattern`,
  `prepare`);
* casefold (case-insensitive, including the upper cases of the Kazakh letters);
* ё → е, and each Kazakh letter to the Russian letter typed in its place: ә → а, ғ → г, қ → к,
  ң → н, ө → о, ұ → у, ү → у, һ → х, і → и. The Latin "i" is typed for "і" as often as "и" is,
  so it is folded to "и" too: text and query are folded alike, so a Latin word still matches
  itself;
* every run of white space becomes one space, so a line break matches a typed space.

`fold` says how two texts compare; `pattern` turns a query into a regular expression that finds
it in a text without folding the text (the fast path of a search), and `excerpt` cuts the text
around a match. Pure functions, no state: nothing folded outlives the caller's use of it.
"""

from __future__ import annotations

import re
import unicodedata

_LETTERS = {
    "ё": "е",
    "ә": "а",
    "ғ": "г",
    "қ": "к",
    "ң": "н",
    "ө": "о",
    "ұ": "у",
    "ү": "у",
    "һ": "х",
    "і": "и",
    "i": "и",
}
_TABLE = str.maketrans(_LETTERS)
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """The text as search compares it (see the module's docstring)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # casefold can produce a decomposed form (e.g. "İ" → "i̇"): normalise once more.
    folded = unicodedata.normalize("NFKC", folded).translate(_TABLE)
    return _SPACE.sub(" ", folded)


def pattern(query: str) -> re.Pattern[str]:
    """A regular expression that finds the folded `query` in an unfolded (`prepare`d) text.

    Searching thousands of texts is the hot path: folding each whole text costs several times
    what opening its envelope does. So the query is folded once and each of its letters becomes
    the class of letters that fold to it (е: е, ё; к: к, қ; и: и, і, i; ...), matched without
    regard to case; white space matches any run of white space. The result is the same as
    `fold(query) in fold(text)` for every letter above, and is searched in C.
    """
    # NFC like the texts (`prepare`); casefold and the letters as in `fold`.
    composed = unicodedata.normalize("NFC", query).casefold()
    words = unicodedata.normalize("NFC", composed).translate(_TABLE).split()
    if not words:
        raise ValueError("an empty query")
    return re.compile(
        r"\s+".join("".join(_class(c) for c in word) for word in words), re.IGNORECASE
    )


def _class(char: str) -> str:
    variants = [char, *(k for k, v in _LETTERS.items() if v == char)]
    if len(variants) == 1:
        return re.escape(char)
    return "[" + "".join(re.escape(v) for v in variants) + "]"


def prepare(text: str) -> str:
    """The text in NFC form (composed letters), as `pattern` expects it.

    NFC, not NFKC: nearly every text already is NFC, which a quick check confirms without
    copying it, while a "№" (NFKC: "No") would make most reports fail NFKC's check and cost a
    full normalisation each. The query is matched the same way (see `pattern`).
    """
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def excerpt(text: str, start: int, end: int, width: int = 80) -> tuple[str, str, str]:
    """(before, match, after) for the match at text[start:end], `width` characters of context
    on each side, cut at a space where one is near, with "…" where the text goes on."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    before = ("…" if left > 0 else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) else "")
    return _SPACE.sub(" ", before), text[start:end], _SPACE.sub(" ", after)
