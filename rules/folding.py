"""Text folding for search: letters match the way people type them.

Staff type Kazakh on Russian keyboards, or Russian without ё, so a search for "казак" must find
"қазақ" and "еж" must find "ёж". Both the query and the text are folded the same way:

* NFKC normalisation (composed letters, compatibility forms such as full-width digits);
* casefold (case-insensitive, including the upper cases of the Kazakh letters);
* ё → е, and each Kazakh letter to the Russian letter typed in its place: ә → а, ғ → г, қ → к,
  ң → н, ө → о, ұ → у, ү → у, һ → х, і → и. The Latin "i" is typed for "і" as often as "и" is,
  so it is folded to "и" too: text and query are folded alike, so a Latin word still matches
  itself;
* every run of white space becomes one space, so a line break matches a typed space.

`fold` serves to decide whether a text matches; `fold_with_positions` also says where each
folded character came from, to cut an excerpt around a match. Pure functions, no state: the
folded text lives only as long as the caller keeps it.
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


def fold_with_positions(text: str) -> tuple[str, list[int]]:
    """(folded text, for each folded character the index in `text` it came from).

    Folded one character at a time, so a combining sequence may fold differently than in
    `fold`; callers use this only to place an excerpt and fall back to the start of the text.
    """
    out: list[str] = []
    positions: list[int] = []
    space = False
    for index, char in enumerate(text):
        if char.isspace():
            if not space:
                out.append(" ")
                positions.append(index)
            space = True
            continue
        space = False
        for folded in fold(char):
            out.append(folded)
            positions.append(index)
    return "".join(out), positions


def excerpt(text: str, query: str, width: int = 80) -> tuple[str, str, str]:
    """(before, match, after) around the first match of the folded `query` in `text`.

    `width` characters of context on each side, cut at a space where one is near, with "…"
    where the text goes on. If the match cannot be placed, the start of the text.
    """
    folded, positions = fold_with_positions(text)
    needle = fold(query).strip()
    at = folded.find(needle) if needle else -1
    if at < 0:
        head = text[: 2 * width]
        return "", "", head + ("…" if len(text) > len(head) else "")
    start = positions[at]
    end = positions[at + len(needle) - 1] + 1
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
