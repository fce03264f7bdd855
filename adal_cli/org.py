"""`adal org add|list|move|rename|deactivate`: the operator's tree of organizations (issue 13).

The same use cases as the operator's back-office pages (cases.organizations). Every change is
audited in the platform's chain (org_id None) and in the changed organization's own chain (a
move: also the old and the new parent's; a creation only the platform's), with the
organization's slug as the target: the entries name organizations, never anything inside one.
A new organization's recovery key is printed once, as `adal init` prints the first one, and is
stored nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy.orm import Session

from adal_cli.context import load_context
from cases import organizations
from cases.organizations import Names
from rules.clock import local_date
from rules.errors import AdalError
from store.db import transaction
from store.models import Organization

ACTOR = "cli"


@contextmanager
def _changing() -> Iterator[Session]:
    """One transaction; a refusal becomes the command's error message and exit code 1."""
    ctx = load_context()
    try:
        with transaction(ctx.sessions) as session:
            yield session
    except AdalError as exc:
        raise click.ClickException(exc.message) from exc


def _audit(
    session: Session,
    action: str,
    org: Organization,
    also: tuple[int | None, ...] = (),
    own: bool = True,
    **details: Any,
) -> None:
    organizations.audit_change(session, action, org, actor=ACTOR, also=also, own=own, **details)


def _short(values: Sequence[str]) -> str:
    return "\n".join(values)


@click.group("org")
def org_group() -> None:
    """Organizations of this installation (the operator's work)."""


@org_group.command("add")
@click.argument("slug")
@click.option("--name-kk", required=True, help="Name in Kazakh.")
@click.option("--name-ru", required=True, help="Name in Russian.")
@click.option("--name-en", required=True, help="Name in English.")
@click.option("--short-name", "short", multiple=True, help="A name people use for it (repeatable).")
@click.option("--parent", default=None, help="The superior body's slug (default: a root).")
def add_command(
    slug: str, name_kk: str, name_ru: str, name_en: str, short: tuple[str, ...], parent: str | None
) -> None:
    """Create organization SLUG and print its recovery key once."""
    with _changing() as session:
        new = organizations.create(
            session,
            slug=slug,
            names=Names(kk=name_kk, ru=name_ru, en=name_en, short=_short(short)),
            today=local_date(datetime.now(UTC)),
            parent_slug=parent,
        )
        _audit(session, "organization.create", new.organization, own=False, parent=parent)
    click.echo(f"Organization {new.organization.slug} created.")
    click.echo("")
    click.echo("RECOVERY KEY - shown once. Write it down and keep it offline, in a safe:")
    click.echo(f"  {new.recovery_text}")
    click.echo(
        f"With it, 'adal recover --org {new.organization.slug}' restores every report of this "
        "organization if all its staff keys are lost."
    )


@org_group.command("list")
def list_command() -> None:
    """One organization a line, in tree order: slug, parent slug ("-" for a root), active or
    inactive, the Russian name."""
    ctx = load_context()
    with ctx.sessions() as session:
        rows = organizations.in_tree_order(session)
    slugs = {o.id: o.slug for o in rows}
    for org in rows:
        parent = slugs.get(org.parent_id, "-") if org.parent_id is not None else "-"
        state = "active" if org.active else "inactive"
        click.echo(f"{org.slug}\t{parent}\t{state}\t{org.name_ru}")


@org_group.command("move")
@click.argument("slug")
@click.option("--parent", default=None, help="The new superior body's slug.")
@click.option("--root", is_flag=True, help="Make it a root (no superior body).")
def move_command(slug: str, parent: str | None, root: bool) -> None:
    """Put SLUG, with everything under it, under another parent (or at the root)."""
    if (parent is None) == (not root):
        raise click.UsageError("give either --parent SLUG or --root")
    with _changing() as session:
        org = organizations.by_slug(session, slug)
        old_parent = org.parent_id
        organizations.move(session, org, parent)
        _audit(session, "organization.move", org, (old_parent, org.parent_id), parent=parent)
    click.echo(f"Organization {slug} is now " + (f"under {parent}." if parent else "a root."))


@org_group.command("rename")
@click.argument("slug")
@click.option("--name-kk", default=None, help="New name in Kazakh.")
@click.option("--name-ru", default=None, help="New name in Russian.")
@click.option("--name-en", default=None, help="New name in English.")
@click.option(
    "--short-name",
    "short",
    multiple=True,
    help="Replaces the short names (repeatable); see --no-short-names.",
)
@click.option("--no-short-names", is_flag=True, help="Remove every short name.")
def rename_command(
    slug: str,
    name_kk: str | None,
    name_ru: str | None,
    name_en: str | None,
    short: tuple[str, ...],
    no_short_names: bool,
) -> None:
    """New names for SLUG (the slug itself never changes); names not given stay."""
    if short and no_short_names:
        raise click.UsageError("give either --short-name or --no-short-names")
    with _changing() as session:
        org = organizations.by_slug(session, slug)
        names = Names(
            kk=org.name_kk if name_kk is None else name_kk,
            ru=org.name_ru if name_ru is None else name_ru,
            en=org.name_en if name_en is None else name_en,
            short=_short(short) if short or no_short_names else org.short_names,
        )
        changed = organizations.rename(session, org, names)
        if changed:
            _audit(session, "organization.rename", org, fields=sorted(changed))
    click.echo(f"Organization {slug} renamed." if changed else "Nothing was changed.")


@org_group.command("deactivate")
@click.argument("slug")
def deactivate_command(slug: str) -> None:
    """The portal stops offering SLUG; its staff, cases and records stay as they are."""
    with _changing() as session:
        org = organizations.by_slug(session, slug)
        was_active = org.active
        if was_active:
            organizations.deactivate(session, org)
            _audit(session, "organization.deactivate", org)
    click.echo(
        f"Organization {slug} is deactivated." if was_active else "It was already deactivated."
    )
