"""Receipt codes: the reporter's only credential.

A code is 20 ASCII decimal digits: 19 uniformly random digits (about 63 bits) followed by a Damm
check digit. It is shown as five groups of four ("1234 5678 9012 3456 7890").

The Damm check digit catches every single-digit error and every transposition of adjacent
digits, so a mistyped code is refused here, cheaply, before anyone spends an Argon2 run on it.

`normalize` is the only way typed text becomes a code. It accepts what people actually type or
paste: spaces, dashes, NBSP, invisible joiners, and the digits of any script (full-width,
Arabic-Indic, ...). It never echoes the input in an error, since the input is a secret.
"""

from __future__ import annotations

import secrets
import unicodedata

CODE_DIGITS = 20
GROUP_SIZE = 4

# Longer input is refused before any per-character work: a real code with generous spacing is
# well under this, and the bound keeps a hostile multi-megabyte form field cheap.
MAX_INPUT_LENGTH = 200

# The totally anti-symmetric quasigroup of order 10 from H. Michael Damm's 2004 thesis
# (the table every Damm implementation uses). Row = interim digit, column = next digit.
_DAMM_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_ASCII_DIGITS = frozenset("0123456789")

# Characters that carry no information and are dropped: besides whitespace (str.isspace, which
# covers NBSP, thin and ideographic spaces) and dash punctuation (category Pd), these are what
# copy-paste from documents and messengers tends to smuggle in.
_INVISIBLE = frozenset(
    "\u00ad"  # soft hyphen
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u2060\ufeff"  # word joiner, byte-order mark
    "\u2212"  # minus sign (category Sm, but typed as a dash)
)


class ReceiptFormatError(ValueError):
    """The text is not 20 digits with optional separators."""


class ReceiptChecksumError(ValueError):
    """The text is 20 digits but the check digit does not match: a typo."""


def damm_digit(digits: str) -> str:
    """The Damm check digit of a string of ASCII digits."""
    interim = 0
    for ch in digits:
        if ch not in _ASCII_DIGITS:
            raise ReceiptFormatError("only ASCII digits have a check digit")
        interim = _DAMM_TABLE[interim][ord(ch) - 48]
    return str(interim)


def generate() -> str:
    """A fresh receipt code: 19 random digits and their check digit."""
    body = f"{secrets.randbelow(10 ** (CODE_DIGITS - 1)):0{CODE_DIGITS - 1}d}"
    return body + damm_digit(body)


def is_valid(code: str) -> bool:
    """True for exactly 20 ASCII digits whose Damm checksum is zero. Never raises."""
    if not isinstance(code, str) or len(code) != CODE_DIGITS:
        return False
    if not _ASCII_DIGITS.issuperset(code):
        return False
    return damm_digit(code) == "0"


def format_code(code: str) -> str:
    """Groups of four for display: "1234 5678 9012 3456 7890". Takes a normalised code."""
    if len(code) != CODE_DIGITS or not _ASCII_DIGITS.issuperset(code):
        raise ReceiptFormatError("a receipt code is 20 digits")
    return " ".join(code[i : i + GROUP_SIZE] for i in range(0, CODE_DIGITS, GROUP_SIZE))


def normalize(text: str) -> str:
    """Typed or pasted text → the canonical 20-digit code, or a ValueError subclass.

    Raises ReceiptFormatError for anything but digits and separators, or a digit count other than
    20; ReceiptChecksumError when the check digit does not match.
    """
    if not isinstance(text, str):
        raise ReceiptFormatError("a receipt code is text")
    if len(text) > MAX_INPUT_LENGTH:
        raise ReceiptFormatError("input is too long to be a receipt code")
    digits: list[str] = []
    for ch in text:
        if ch in _ASCII_DIGITS:
            digits.append(ch)
        elif ch.isdecimal():
            # Category Nd only: full-width, Arabic-Indic, Devanagari ... all map to 0-9.
            # Superscripts and circled digits are not decimal and are refused below.
            digits.append(str(unicodedata.decimal(ch)))
        elif ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) == "Pd":
            continue
        else:
            raise ReceiptFormatError("a receipt code contains only digits")
    if len(digits) != CODE_DIGITS:
        raise ReceiptFormatError("a receipt code is 20 digits")
    code = "".join(digits)
    if damm_digit(code) != "0":
        raise ReceiptChecksumError("the receipt code has a typo")
    return code
