"""Organizations of an installation (issue 13; DESIGN.md, "Organizations").

One writer for the tree: creating an organization (with its own recovery key, printed once),
renaming, moving and deactivating it, and the reads the apps share (by slug, the subtree under
one). The operator's CLI and back-office pages call these; so does `adal init` for the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto import keys as ckeys
from crypto import signing
from rules.errors import AdalError
from rules.folding import fold
from store import audit
from store.models import Organization, RecipientKey, User

AREA = "organizations"  # of the AdalError codes raised here
# Permanent and part of public addresses (/o/<slug>): lower-case Latin letters, digits, dashes.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
NAME_MAX = 300
SHORT_NAMES_MAX = 1000
# The tree is a few levels deep in practice (ministry, committee, department, office); a bound
# keeps `path` within its column and a cycle impossible to build by accident.
MAX_DEPTH = 12
# The operator's tree is read a page at a time: a national installation has thousands.
PAGE_SIZE = 50
# A web or mail address in a name would reach every notice mail and poster (see handler.settings).
_LINK_LIKE = re.compile(r"://|www\.|@|[A-Za-z0-9-]\.[A-Za-z]{2,}", re.IGNORECASE)


@dataclass(frozen=True)
class Names:
    kk: str
    ru: str
    en: str
    short: str = ""  # one a line


@dataclass(frozen=True)
class NewOrganization:
    organization: Organization
    recovery_text: str  # the printable recovery key: shown once, never stored
    recovery_key: RecipientKey


def _clean(value: str, field: str, maximum: int, required: bool = True) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise AdalError(AREA, f"missing_name:{field}", f"the {field} name is required")
    if len(value) > maximum:
        raise AdalError(AREA, f"too_long:{field}", f"the {field} name is too long")
    if _LINK_LIKE.search(value):
        raise AdalError(AREA, f"link:{field}", "a name holds no web or mail address")
    return value


def clean_names(names: Names) -> Names:
    short_lines = [" ".join(line.split()) for line in (names.short or "").splitlines()]
    short = "\n".join(line for line in short_lines if line)
    if len(short) > SHORT_NAMES_MAX:
        raise AdalError(AREA, "too_long:short", "the short names are too long")
    if _LINK_LIKE.search(short):
        raise AdalError(AREA, "link:short", "a name holds no web or mail address")
    return Names(
        kk=_clean(names.kk, "kk", NAME_MAX),
        ru=_clean(names.ru, "ru", NAME_MAX),
        en=_clean(names.en, "en", NAME_MAX),
        short=short,
    )


def search_text(names: Names) -> str:
    """Every name folded (rules.folding), one a line: what the portal's search matches."""
    return "\n".join(fold(n) for n in (names.kk, names.ru, names.en, *names.short.splitlines()))


def validate_slug(slug: str) -> str:
    slug = (slug or "").strip()
    if not SLUG.fullmatch(slug):
        raise AdalError(
            AREA, "bad_slug", "a slug is 1-63 lower-case Latin letters, digits or inner dashes"
        )
    return slug


def by_slug(session: Session, slug: str) -> Organization:
    org = session.execute(
        select(Organization).where(Organization.slug == slug)
    ).scalar_one_or_none()
    if org is None:
        raise AdalError(AREA, "unknown", f"no organization {slug!r}")
    return org


def _parent(session: Session, parent_slug: str | None) -> Organization | None:
    if not parent_slug:
        return None
    # Typed by hand (the operator's form, the CLI): only a well-formed slug reaches the database.
    parent_slug = parent_slug.strip()
    found = (
        session.execute(
            select(Organization).where(Organization.slug == parent_slug)
        ).scalar_one_or_none()
        if SLUG.fullmatch(parent_slug)
        else None
    )
    if found is None:
        raise AdalError(AREA, "unknown_parent", f"no organization {parent_slug!r} to put it under")
    parent = found
    if not parent.active:
        raise AdalError(AREA, "parent_inactive", "the parent organization is deactivated")
    if parent.path.count("/") - 1 >= MAX_DEPTH:
        raise AdalError(AREA, "too_deep", "the tree may not be deeper")
    return parent


def create(
    session: Session,
    *,
    slug: str,
    names: Names,
    today: date,
    parent_slug: str | None = None,
) -> NewOrganization:
    """A new organization with its recovery key; the key's text is returned once, never kept.

    Like `adal init`'s key, it restores every report of this organization if all of its staff's
    keys are lost (`adal recover`), and it approves the organization's first head (p14).
    """
    slug = validate_slug(slug)
    names = clean_names(names)
    if session.execute(select(Organization.id).where(Organization.slug == slug)).first():
        raise AdalError(AREA, "exists", f"organization {slug!r} already exists")
    parent = _parent(session, parent_slug)
    org = Organization(
        slug=slug,
        name_kk=names.kk,
        name_ru=names.ru,
        name_en=names.en,
        short_names=names.short,
        parent_id=parent.id if parent else None,
        path="",  # needs the id: set below
        active=True,
        search_text=search_text(names),
        created_on=today,
    )
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    recovery_text, recovery_public = ckeys.generate_recovery_key()
    key = RecipientKey(
        key_id=ckeys.key_id(recovery_public),
        public_key=recovery_public,
        purpose="recovery",
        org_id=org.id,
        active=True,
        verify_key=signing.verify_key(ckeys.parse_recovery_key(recovery_text)),
    )
    session.add(key)
    session.flush()
    return NewOrganization(organization=org, recovery_text=recovery_text, recovery_key=key)


def rename(session: Session, org: Organization, names: Names) -> dict[str, tuple[str, str]]:
    """New names (the slug never changes); returns {field: (old, new)} for the audit log."""
    names = clean_names(names)
    changed: dict[str, tuple[str, str]] = {}
    for field, value in (
        ("name_kk", names.kk),
        ("name_ru", names.ru),
        ("name_en", names.en),
        ("short_names", names.short),
    ):
        old = getattr(org, field)
        if old != value:
            changed[field] = (old, value)
            setattr(org, field, value)
    org.search_text = search_text(names)
    return changed


def move(session: Session, org: Organization, parent_slug: str | None) -> None:
    """Put `org` (with everything under it) under another parent, or at the root."""
    parent = _parent(session, parent_slug)
    if parent is not None and parent.path.startswith(org.path):
        raise AdalError(AREA, "cycle", "an organization cannot move under itself")
    old_path = org.path
    new_path = f"{parent.path if parent else '/'}{org.id}/"
    depth = new_path.count("/") - 1
    below = subtree(session, org)
    deepest = max(o.path.count("/") - 1 for o in below) - (old_path.count("/") - 1)
    if depth + deepest > MAX_DEPTH:
        raise AdalError(AREA, "too_deep", "the tree may not be deeper")
    org.parent_id = parent.id if parent else None
    for member in below:
        member.path = new_path + member.path[len(old_path) :]


def audit_change(
    session: Session,
    action: str,
    org: Organization,
    *,
    actor: str | None,
    also: Iterable[int | None] = (),
    own: bool = True,
    **details: Any,
) -> None:
    """An operator's change to `org`, in the platform's chain and in the chains of the
    organizations it concerns: `org` itself (unless not `own`: its creation stays the
    platform's) and `also` (a move: the old and the new parent, whose "to the superior body"
    reports it redirects). Every one of them sees it in its own audit trail; the entries name
    organizations by slug only."""
    chains: list[int | None] = [None, org.id] if own else [None]
    for org_id in also:
        if org_id not in chains:
            chains.append(org_id)
    for org_id in chains:
        audit.append(session, action, actor=actor, org_id=org_id, target=org.slug, details=details)


def deactivate(session: Session, org: Organization) -> None:
    """The portal stops offering it; its staff, cases and records stay as they are."""
    org.active = False


def subtree(session: Session, org: Organization) -> Sequence[Organization]:
    """The organization and every one below it, at any depth."""
    return (
        session.execute(
            select(Organization)
            .where(Organization.path.startswith(org.path, autoescape=True))
            .order_by(Organization.path)
        )
        .scalars()
        .all()
    )


def depth(org: Organization) -> int:
    """0 for a root, 1 for its children, and so on."""
    return org.path.count("/") - 2


def tree_order(rows: Sequence[Organization]) -> list[Organization]:
    """`rows` depth first, siblings by slug: a parent always comes just before its subtree. A
    row whose parent is not among `rows` starts a tree of its own."""
    present = {o.id for o in rows}
    children: dict[int | None, list[Organization]] = {}
    for row in sorted(rows, key=lambda o: o.slug):
        parent = row.parent_id if row.parent_id in present else None
        children.setdefault(parent, []).append(row)
    ordered: list[Organization] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        org = stack.pop()
        ordered.append(org)
        stack.extend(reversed(children.get(org.id, [])))
    return ordered


@dataclass(frozen=True)
class Branch:
    """One page of the organizations directly under a parent (or of the roots), by slug."""

    rows: list[tuple[Organization, int]]  # each with how many organizations are directly under it
    total: int  # directly under the parent, on every page
    page: int  # 1-based, within 1..pages
    pages: int


def branch(
    session: Session, parent: Organization | None, page: int = 1, size: int = PAGE_SIZE
) -> Branch:
    """The organizations directly under `parent` (the roots for None), one page of `size` in
    slug order, as the operator's tree shows them: two queries and a count, whatever the size
    of the tree. A page past the last is the last."""
    under = (
        Organization.parent_id.is_(None) if parent is None else Organization.parent_id == parent.id
    )
    total = session.execute(
        select(func.count()).select_from(Organization).where(under)
    ).scalar_one()
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = (
        session.execute(
            select(Organization)
            .where(under)
            .order_by(Organization.slug)
            .offset((page - 1) * size)
            .limit(size)
        )
        .scalars()
        .all()
    )
    counts: dict[int, int] = {}
    if rows:
        counts = {
            parent_id: n
            for parent_id, n in session.execute(
                select(Organization.parent_id, func.count())
                .where(Organization.parent_id.in_([o.id for o in rows]))
                .group_by(Organization.parent_id)
            ).all()
        }
    return Branch([(o, counts.get(o.id, 0)) for o in rows], total, page, pages)


def ancestors(session: Session, org: Organization) -> list[Organization]:
    """Every organization above `org`, the root first (at most MAX_DEPTH, read from its path)."""
    ids = [int(part) for part in org.path.strip("/").split("/")[:-1]]
    if not ids:
        return []
    found = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class Below:
    """The active organizations under one (at any depth): how many, and the first few."""

    count: int
    first: list[Organization]


def active_below(session: Session, org: Organization, limit: int = PAGE_SIZE) -> Below:
    """What deactivating `org` cuts off from the portal's tree: the active organizations below
    it, counted, and the first `limit` of them in path order (the nearest levels first only
    within a branch)."""
    below = (
        Organization.path.startswith(org.path, autoescape=True),
        Organization.id != org.id,
        Organization.active.is_(True),
    )
    count = session.execute(
        select(func.count()).select_from(Organization).where(*below)
    ).scalar_one()
    first = (
        session.execute(select(Organization).where(*below).order_by(Organization.path).limit(limit))
        .scalars()
        .all()
    )
    return Below(count, list(first))


def in_tree_order(session: Session) -> list[Organization]:
    """Every organization in tree order (the operator's list, `adal org list`)."""
    return tree_order(session.scalars(select(Organization)).all())


def has_active_admin(session: Session, org: Organization) -> bool:
    """Whether the organization has an active admin: the operator creates only the first one
    (or a new one when none is left); the organization's own admins create everyone else."""
    found = session.execute(
        select(User.id)
        .where(User.org_id == org.id, User.role == "admin", User.active.is_(True))
        .limit(1)
    ).first()
    return found is not None


def only_organization(session: Session) -> Organization | None:
    """The organization of a single-organization installation (a tree of one), else None."""
    rows = session.execute(select(Organization).limit(2)).scalars().all()
    return rows[0] if len(rows) == 1 else None


__all__ = [
    "AREA",
    "PAGE_SIZE",
    "Below",
    "Branch",
    "Names",
    "NewOrganization",
    "active_below",
    "ancestors",
    "branch",
    "by_slug",
    "clean_names",
    "create",
    "deactivate",
    "depth",
    "has_active_admin",
    "in_tree_order",
    "move",
    "only_organization",
    "rename",
    "search_text",
    "subtree",
    "tree_order",
    "validate_slug",
]
