"""An organization's name in the language of the page (Organization.name)."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale

from store.models import Organization


def name_of(org: Organization) -> str:
    return org.name(str(get_locale() or "kk"))


def sent_from_name(report: dict[str, Any], language: str | None = None) -> str:
    """The subordinate organization a report to the superior body came from (the sealed report's
    "sent_from_org"), named in `language` (default: the page's), or "" when it has none (p11 4)."""
    origin = report.get("sent_from_org")
    if not isinstance(origin, dict):
        return ""
    language = language or str(get_locale() or "en")
    for key in (f"name_{language}", "name_en", "name_ru", "name_kk", "slug"):
        value = origin.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
