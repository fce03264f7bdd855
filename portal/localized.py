"""Long dates and decimal numbers in the reader's language, without Babel's CLDR data.

To print one date, Babel loads the language's whole CLDR record (names of territories,
currencies, time zones…): about 1.3 MiB in every portal worker for each language it has served,
on top of a footprint that must stay under 64 MiB while it streams a 2 GiB upload. The portal
prints only two things: a date in the long form and a file size with at most one decimal. For
those, these tables hold exactly what Babel prints (tests/portal/test_localized.py compares the
two for every month and many numbers); the back office, which has no such target, uses Babel.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from web.i18n import current_language

_MONTHS = {
    # Kazakh in the nominative ("2026 ж. 2 желтоқсан"), Russian in the genitive ("2 декабря").
    "kk": (
        "қаңтар",
        "ақпан",
        "наурыз",
        "сәуір",
        "мамыр",
        "маусым",
        "шілде",
        "тамыз",
        "қыркүйек",
        "қазан",
        "қараша",
        "желтоқсан",
    ),
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
# A narrow no-break space keeps "ж." and "г." on the year's line.
_LONG_DATE = {"kk": "{y}\u202fж. {d} {m}", "ru": "{d} {m} {y}\u202fг.", "en": "{m} {d}, {y}"}
# (decimal sign, group separator): a no-break space groups thousands in Kazakh and Russian.
_NUMBER_SIGNS = {"kk": (",", "\u00a0"), "ru": (",", "\u00a0"), "en": (".", ",")}


def long_date(day: date) -> str:
    lang = current_language()
    return _LONG_DATE[lang].format(y=day.year, d=day.day, m=_MONTHS[lang][day.month - 1])


def decimal(value: float) -> str:
    """At most one decimal, none when it is 0 (the pattern #,##0.#), rounded half to even."""
    decimal_sign, group = _NUMBER_SIGNS[current_language()]
    # Through the shortest decimal form of the float, as Babel rounds it.
    rounded = Decimal(repr(float(value))).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
    whole, _, tenth = f"{rounded:,.1f}".partition(".")
    text = whole.replace(",", group)
    return text if tenth == "0" else f"{text}{decimal_sign}{tenth}"
