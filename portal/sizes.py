"""File sizes in the reader's language.

Jinja's own filesizeformat prints English units ("71 Bytes", "2.0 GB") whatever the page's
language. `filesize` writes the number the language's way ("1,5" in kk and ru, portal.localized)
and the unit from the catalogs: Б/КБ/МБ/ГБ in Kazakh and Russian, B/KB/MB/GB in English. The
units are binary (1 KB = 1024 bytes), so the 2 GiB upload limit reads "2 GB", not "2048 MiB".
"""

from __future__ import annotations

from flask_babel import gettext

from portal.localized import decimal

STEP = 1024


def filesize(size: int | float) -> str:
    """A byte count as '71 Б', '1,5 МБ', '2 GB': the largest unit that keeps the number ≥ 1."""
    value = float(max(size, 0))
    steps = 0
    # Compare the value as printed, so 1023.96 KB reads "1 MB", not "1 024 KB".
    while steps < 3 and round(value, 1) >= STEP:
        value /= STEP
        steps += 1
    number = decimal(value)
    if steps == 0:
        return gettext("%(size)s B", size=number)
    if steps == 1:
        return gettext("%(size)s KB", size=number)
    if steps == 2:
        return gettext("%(size)s MB", size=number)
    return gettext("%(size)s GB", size=number)
