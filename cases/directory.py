"""The organization tree as the public portal reads it: search, browse, choose where to report.

DESIGN.md ("Organizations"): a reporter finds the organization without JavaScript, by any part
of any of its names in any language, or by walking the tree, and then chooses between it and
its superior body (p4). Only active organizations are offered.

Reads name their columns: the portal's database role may read only these columns of
`organizations` (installation/roles.py), never its creation date or tree path.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, and_, or_, select
from sqlalchemy.orm import Session, aliased

from cases.organizations import SLUG
from rules import latin
from rules.errors import AdalError
from rules.folding import fold
from store.models import Organization, RecipientKey
from store.models.orgs import name_in

AREA = "directory"  # of the AdalError codes raised here
# Longer than any name people type, short enough that a query costs a bounded amount of work.
QUERY_MAX = 100
QUERY_MIN = 2  # letters or digits: one letter would match nearly every organization
WORDS_MAX = 8
RESULTS_MAX = 50
# What people put around words ("Минздрав,", «Денсаулық»): not part of any name's folding.
_EDGES = string.punctuation + "«»„“”‘’…—–№"

_COLUMNS = (
    Organization.id,
    Organization.slug,
    Organization.name_kk,
    Organization.name_ru,
    Organization.name_en,
    Organization.parent_id,
)


@dataclass(frozen=True)
class Entry:
    """One organization as the portal shows it."""

    id: int
    slug: str
    name_kk: str
    name_ru: str
    name_en: str
    parent_id: int | None

    def name(self, lang: str) -> str:
        return name_in(lang, self.name_kk, self.name_ru, self.name_en)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    parent: Entry | None  # so that same-named bodies (a department per region) can be told apart


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    more: bool  # more matched than are shown: the reporter should type more of the name


@dataclass(frozen=True)
class Place:
    """An organization's page: it, its superior body and the bodies below it."""

    entry: Entry
    parent: Entry | None  # only a superior body that can receive a report
    children: list[Entry]  # only those that can receive a report
    receives: bool = True  # False: no head, no handler; the page says so and offers no form


def receives(org: type[Organization] | Organization = Organization) -> ColumnElement[bool]:
    """An organization can receive a report: it is active and has at least one active head key
    and at least one active handler or head key (law review of issue 13, finding 2: p6
    «Непринятие сообщения не допускается», p8 «незамедлительно информировать»). A report to
    an organization without them is sealed to its offline recovery key alone and nobody reads
    it. An active head key is itself a handler-or-head key, so the head key decides.

    Reads only `recipient_keys`' org_id, purpose and active (installation/roles.py)."""
    # A named column, not `SELECT *`: the portal's role may read only some of the columns.
    head = (
        select(RecipientKey.id)
        .where(
            RecipientKey.org_id == org.id,
            RecipientKey.active.is_(True),
            RecipientKey.purpose == "head",
        )
        .exists()
    )
    return and_(org.active.is_(True), head)


def _entry(row: Row[tuple[int, str, str, str, str, int | None]]) -> Entry:
    return Entry(*row)


def _order(lang: str) -> object:
    return {"kk": Organization.name_kk, "ru": Organization.name_ru}.get(lang, Organization.name_en)


def words(query: str) -> list[str]:
    """The query's words as the search compares them, or an AdalError saying what is wrong."""
    query = query or ""
    if len(query) > QUERY_MAX:
        raise AdalError(AREA, "too_long", f"a search is at most {QUERY_MAX} characters")
    # Control characters (a NUL, which PostgreSQL refuses in text) separate words like spaces.
    visible = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in query)
    found = [w.strip(_EDGES) for w in fold(visible).split()]
    found = [w for w in found if w]
    if sum(c.isalnum() for w in found for c in w) < QUERY_MIN:
        raise AdalError(AREA, "too_short", "type at least two letters of the name")
    return found[:WORDS_MAX]


def _spellings(word: str) -> set[str]:
    spellings = {word}
    if latin.has_latin(word):
        spellings.add(fold(latin.to_cyrillic(word)))
    return spellings


def search(session: Session, query: str, lang: str, *, everyone: bool = False) -> Found:
    """Active organizations whose folded names hold every word of the query (in any of its
    spellings), in the order of their names in `lang`. One query: a LIKE per word over the
    folded names, its wildcards escaped.

    `everyone`: the operator's search (handler/operator.py) over the whole tree: deactivated
    organizations and those nobody can receive in too, each word matching a name or the slug,
    and the parent shown whatever its state. Never the portal's: it offers only `receives`."""
    conditions = [
        or_(
            *(Organization.search_text.contains(s, autoescape=True) for s in _spellings(w)),
            *((Organization.slug.contains(w, autoescape=True),) if everyone else ()),
        )
        for w in words(query)
    ]
    parent = aliased(Organization)
    joined = parent.id == Organization.parent_id
    rows = session.execute(
        select(
            *_COLUMNS,
            parent.id,
            parent.slug,
            parent.name_kk,
            parent.name_ru,
            parent.name_en,
            parent.parent_id,
        )
        .outerjoin(parent, joined if everyone else and_(joined, parent.active.is_(True)))
        .where(*conditions, *(() if everyone else (receives(),)))
        .order_by(_order(lang), Organization.id)
        .limit(RESULTS_MAX + 1)
    ).all()
    hits = [
        Hit(Entry(*row[:6]), Entry(*row[6:]) if row[6] is not None else None)
        for row in rows[:RESULTS_MAX]
    ]
    return Found(hits, len(rows) > RESULTS_MAX)


def _active(session: Session, *where: object) -> list[Entry]:
    return [
        _entry(row)
        for row in session.execute(
            select(*_COLUMNS).where(Organization.active.is_(True), *where)  # type: ignore[arg-type]
        ).all()
    ]


def _receiving(session: Session, *where: object) -> list[Entry]:
    """Active organizations that can receive a report (`receives`) among `where`."""
    return _active(session, receives(), *where)


def _sorted(entries: list[Entry], lang: str) -> list[Entry]:
    return sorted(entries, key=lambda e: (fold(e.name(lang)), e.id))


def roots(session: Session, lang: str) -> list[Entry]:
    """The top of the tree: organizations with no parent that can receive a report."""
    return _sorted(_receiving(session, Organization.parent_id.is_(None)), lang)


def place(session: Session, slug: str, lang: str) -> Place:
    """An active organization by its permanent slug, whether it can receive a report, its parent
    (if that one can receive) and its children that can; AdalError "unknown" for any other
    slug, deactivated ones included."""
    # Only a well-formed slug reaches the database (a NUL, say, is an error in PostgreSQL).
    found = _active(session, Organization.slug == slug) if SLUG.fullmatch(slug or "") else []
    if not found:
        raise AdalError(AREA, "unknown", f"no active organization {slug!r}")
    entry = found[0]
    able = bool(_receiving(session, Organization.id == entry.id))
    parent = None
    if entry.parent_id is not None:
        parents = _receiving(session, Organization.id == entry.parent_id)
        parent = parents[0] if parents else None
    children = _sorted(_receiving(session, Organization.parent_id == entry.id), lang)
    return Place(entry, parent, children, able)


def can_receive(session: Session, org_id: int) -> bool:
    """Whether the portal offers this organization (`receives`): the operator's page warns when
    it does not."""
    found = session.execute(
        select(Organization.id).where(Organization.id == org_id, receives()).limit(1)
    ).first()
    return found is not None


def single(session: Session) -> Entry | None:
    """The organization of a single-organization installation (a tree of one), else None.

    Counted over all organizations, active or not: an installation that has ever had two is
    one where a report must always say where it goes."""
    rows = session.execute(select(*_COLUMNS).limit(2)).all()
    return _entry(rows[0]) if len(rows) == 1 else None


def destination(session: Session, slug: str, target: str, lang: str) -> Entry:
    """Where a report chosen on `slug`'s form goes: the organization itself or, if asked, its
    superior body, each only if it can receive a report (`receives`). Anything else (a tampered
    form, a body deactivated or left without staff meanwhile) is refused."""
    where = place(session, slug, lang)
    if not where.receives:  # its page offers no form: it sends the reporter elsewhere
        raise AdalError(AREA, "bad_target", f"{slug!r} cannot receive a report")
    if not target or target == where.entry.slug:
        return where.entry
    if where.parent is not None and target == where.parent.slug:
        return where.parent
    raise AdalError(AREA, "bad_target", "a report goes to the organization or its superior body")
