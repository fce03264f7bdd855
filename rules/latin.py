"""Latin spellings of Kazakh and Russian names, read as the Cyrillic a reporter meant.

People type a state body's name in Latin letters on a phone or a foreign keyboard: in the
Kazakh Latin alphabet («Densaulyq saqtau ministrligi», «Qazaqstan») or in the usual Russian
transliteration («Minzdrav», «zdravookhraneniya»). `to_cyrillic` turns such a spelling into
the Cyrillic letters it stands for, so that after rules.folding.fold it compares with the folded
Cyrillic names. It is a reading, not a standard: a word that was English stays readable as
itself, because a search tries both the word and this reading.
"""

from __future__ import annotations

import re
import unicodedata

# Longest first: "shch" before "sh", "kh" before "k".
_GROUPS = (
    ("shch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "е"),
    ("ia", "я"),
    ("iu", "ю"),
)
_SINGLE = {
    "a": "а",
    "b": "б",
    "c": "к",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "у",
    "x": "кс",
    "y": "ы",
    "z": "з",
    # The Kazakh Latin alphabet of 2021.
    "ä": "ә",
    "ğ": "ғ",
    "ı": "ы",
    "ñ": "ң",
    "ö": "ө",
    "ş": "ш",
    "ç": "ч",
    "ū": "ұ",
    "ü": "ү",
    "ý": "у",
}
_VOWELS = "aeiouyäöüūıý"
_LATIN = re.compile(r"[a-zäğıñöşçūüý]")


def has_latin(text: str) -> bool:
    return bool(_LATIN.search(unicodedata.normalize("NFC", text).casefold()))


def to_cyrillic(text: str) -> str:
    """The text with its Latin letters read as Cyrillic ones; anything else is kept."""
    source = unicodedata.normalize("NFC", text).casefold()
    out: list[str] = []
    i = 0
    while i < len(source):
        for group, letter in _GROUPS:
            if source.startswith(group, i):
                out.append(letter)
                i += len(group)
                break
        else:
            char = source[i]
            # "y" after a vowel closes the syllable (Nazarbayev, Baikonyr): й, not ы.
            if char == "y" and i > 0 and source[i - 1] in _VOWELS:
                out.append("й")
            else:
                out.append(_SINGLE.get(char, char))
            i += 1
    return "".join(out)
