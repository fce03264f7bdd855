"""p3: the two kinds of offence the recommendations apply to, and "not yet determined".

1) a corruption crime: the crimes listed in subparagraph 29) of article 3 of the Criminal Code;
2) an administrative corruption offence: chapter 34 of the Code of Administrative Offences.

Which one a report concerns is for the authorised body to establish; the head records what is
known, and a report stays "undetermined" until then (nothing in the text lets a report be
refused for not fitting either, p6).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["OFFENCE_TYPES", "UNDETERMINED", "OffenceType"]

OffenceType = Literal["crime", "administrative", "undetermined"]
UNDETERMINED: OffenceType = "undetermined"
OFFENCE_TYPES: tuple[OffenceType, ...] = ("crime", "administrative", UNDETERMINED)
