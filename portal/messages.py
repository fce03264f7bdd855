"""The portal's text for each refusal a use case raises (rules.errors.AdalError): one table,
keyed by (area, code), translated when shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from cases import directory
from rules.errors import AdalError

_TEXTS = {
    (directory.AREA, "too_long"): _l(
        "The search is too long: type at most %(max)d characters of the name.",
        max=directory.QUERY_MAX,
    ),
    (directory.AREA, "too_short"): _l(
        "Type at least two letters of the organization's name, in Kazakh, Russian or English."
    ),
    (directory.AREA, "unknown"): _l(
        "There is no such organization on this portal, or it no longer receives reports here. "
        "Find it by its name or in the list of organizations."
    ),
    (directory.AREA, "bad_target"): _l(
        "Choose where the report goes: this organization or its superior body."
    ),
}
_FALLBACK = _l("The request could not be completed. Go back and try again.")


def text(error: AdalError) -> object:
    return _TEXTS.get((error.area, error.code), _FALLBACK)
