"""A small tree of organizations beside the demo's own ("main"), as the operator would make it
with cases.organizations: a ministry with a committee and its regional department, another
ministry, a deactivated body under the first, and one under it with no staff yet (VACANT).
Every other organization has a head key, so the portal offers it (cases.directory.receives)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from cases import organizations
from cases.organizations import Names
from crypto import keys
from store.models import RecipientKey

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
    (
        "vet-control",
        "health",
        Names(
            kk="Ветеринариялық бақылау инспекциясы",
            ru="Инспекция ветеринарного контроля",
            en="Veterinary Control Inspectorate",
        ),
    ),
)
INACTIVE = "health-archive"
VACANT = "vet-control"  # active, but no head or handler: nobody could read a report to it


def add_head_key(db: Session, org_id: int) -> None:
    """An active head key of the organization (a head as far as the portal can tell)."""
    public = bytes(keys.generate_keypair().public_key)
    db.add(
        RecipientKey(key_id=keys.key_id(public), public_key=public, purpose="head", org_id=org_id)
    )


def make_tree(sessions: sessionmaker[Session]) -> dict[str, int]:
    """The organizations of TREE (INACTIVE deactivated); returns {slug: id}."""
    ids: dict[str, int] = {}
    with sessions() as db, db.begin():
        for slug, parent, names in TREE:
            made = organizations.create(db, slug=slug, names=names, today=TODAY, parent_slug=parent)
            ids[slug] = made.organization.id
            if slug != VACANT:
                add_head_key(db, made.organization.id)
        organizations.deactivate(db, organizations.by_slug(db, INACTIVE))
    return ids
