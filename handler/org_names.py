"""An organization's name in the language of the page (kk, ru, else en)."""

from __future__ import annotations

from flask_babel import get_locale

from store.models import Organization


def name_of(org: Organization) -> str:
    language = str(get_locale() or "en")
    return {"kk": org.name_kk, "ru": org.name_ru}.get(language, org.name_en)
