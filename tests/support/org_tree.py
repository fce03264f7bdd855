"""A small tree of organizations beside the demo's own ("main"), as the operator would make it
with cases.organizations: a ministry with a committee and its regional department, another
ministry, and a deactivated body under the first."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from cases import organizations
from cases.organizations import Names

TODAY = date(2026, 12, 1)

TREE: tuple[tuple[str, str | None, Names], ...] = (
    (
        "health",
        None,
        Names(
            kk="Қазақстан Республикасының Денсаулық сақтау министрлігі",
            ru="Министерство здравоохранения Республики Казахстан",
            en="Ministry of Health of the Republic of Kazakhstan",
            short="Минздрав\nМЗ РК",
        ),
    ),
    (
        "health-control",
        "health",
        Names(
            kk="Медициналық және фармацевтикалық бақылау комитеті",
            ru="Комитет медицинского и фармацевтического контроля",
            en="Committee for Medical and Pharmaceutical Control",
        ),
    ),
    (
        "health-control-almaty",
        "health-control",
        Names(
            kk="Алматы қаласы бойынша медициналық бақылау департаменті",
            ru="Департамент медицинского контроля по городу Алматы",
            en="Department of Medical Control of Almaty",
        ),
    ),
    (
        "finance",
        None,
        Names(
            kk="Қазақстан Республикасының Қаржы министрлігі",
            ru="Министерство финансов Республики Казахстан",
            en="Ministry of Finance of the Republic of Kazakhstan",
            short="Минфин",
        ),
    ),
    (
        "health-archive",
        "health",
        Names(kk="Мұрағат басқармасы", ru="Архивное управление", en="Archive Office"),
    ),
)
INACTIVE = "health-archive"


def make_tree(sessions: sessionmaker[Session]) -> dict[str, int]:
    """The organizations of TREE (INACTIVE deactivated); returns {slug: id}."""
    ids: dict[str, int] = {}
    with sessions() as db, db.begin():
        for slug, parent, names in TREE:
            made = organizations.create(db, slug=slug, names=names, today=TODAY, parent_slug=parent)
            ids[slug] = made.organization.id
        organizations.deactivate(db, organizations.by_slug(db, INACTIVE))
    return ids
