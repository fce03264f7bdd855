"""Public holiday names in the interface language, for the admin's calendar page.

``holidays.KZ`` names its days in English and Kazakh only (``supported_languages`` has no
``ru``), so the names are translated here from the package's English ones, through the back
office's own catalogues: one path for kk, ru and en. A name the table does not know (a holiday
added by a later release of the package) is shown as the package gives it, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

import holidays
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from handler.filters import kz_date

__all__ = ["holiday_names"]

_NAMES: Mapping[str, LazyString] = {
    "New Year's Day": _l("New Year"),
    "Orthodox Christmas": _l("Orthodox Christmas"),
    "International Women's Day": _l("International Women's Day"),
    "Nowruz Holiday": _l("Nauryz meirami"),
    "Kazakhstan's People Solidarity Holiday": _l("Unity Day of the People of Kazakhstan"),
    "Defender of the Fatherland Day": _l("Defender of the Fatherland Day"),
    "Victory Day": _l("Victory Day"),
    "Capital Day": _l("Capital Day"),
    # Kurban Ait: the first day of Eid al-Adha, a day off set each year by the government.
    "Eid al-Adha": _l("Kurban Ait"),
    "Constitution Day": _l("Constitution Day of the Republic of Kazakhstan"),
    "Republic Day": _l("Republic Day"),
    "Independence Day": _l("Independence Day"),
    "First President Day": _l("First President Day"),
}
# "Victory Day (observed)", "Eid al-Adha (estimated)", "Day off (substituted from 05/04/2024)"
_SUFFIX = re.compile(r"^(?P<name>.*?) \((?P<note>observed|estimated|observed, estimated)\)$")
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (?P<day>\d{2}/\d{2}/\d{4})\)$")


def _one(name: str) -> str:
    substituted = _SUBSTITUTED.match(name)
    if substituted is not None:
        moved = datetime.strptime(substituted["day"], "%m/%d/%Y").date()
        return _("Day off (transferred from %(day)s)", day=kz_date(moved))
    match = _SUFFIX.match(name)
    base, note = (match["name"], match["note"]) if match else (name, "")
    label = _NAMES.get(base)
    text = str(label) if label is not None else base
    if "observed" in note:
        # Labour Code art. 85: a holiday on a weekend moves the day off to the next working day.
        text = _("%(name)s (day off moved from a weekend)", name=text)
    if "estimated" in note:
        text = _("%(name)s (expected date; the government sets it each year)", name=text)
    return text


def holiday_names(year: int) -> list[tuple[date, str]]:
    """The year's public holidays (observed days included), named in the interface language."""
    table = holidays.KZ(years=year, observed=True, language="en_US")
    return [
        (day, "; ".join(_one(part) for part in name.split("; ")))
        for day, name in sorted(table.items())
    ]
