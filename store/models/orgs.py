"""Organizations: one installation hosts a tree of state bodies (DESIGN.md, "Organizations").

Every staff user, recipient key, submission, setting and audit entry belongs to one. The slug is
permanent (it is the portal's `/o/<slug>` address and the poster's QR code); names may change.
`path` holds the ids from the root down ("/1/7/42/"), so "this organization and everything under
it" is one indexed prefix match, and a move rewrites the paths of one subtree.
`search_text` is every name and short name folded (rules.folding) for the portal's search.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base

# The organization migration 0010 made of an installation that existed before organizations:
# what predates them (the unkeyed audit chain, head keys carried over by 0005) is its alone.
MIGRATED_ORG_ID = 1


def name_in(language: str, kk: str, ru: str, en: str) -> str:
    """One of an organization's names for a language of the apps (Kazakh, the state language,
    for any other): the one rule every page, mail and letter names it by."""
    return {"ru": ru, "en": en}.get(language, kk)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    # Names people use for it («Минздрав»), one a line; may be empty.
    short_names: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(1000), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_on: Mapped[date]

    def name(self, language: str) -> str:
        return name_in(language, self.name_kk, self.name_ru, self.name_en)
