"""`adal user add`: staff accounts from the command line (the first head, in production)."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from adal_cli.context import load_context
from adal_cli.org_choice import chosen_organization
from cases import custody
from cases.staff import OPERATOR, create_user
from rules.errors import AdalError
from store import audit
from store.db import transaction
from store.models import ROLES, Organization


@click.group("user")
def user_group() -> None:
    """Manage staff users."""


def organization_of(session: Session, role: str, slug: str | None) -> Organization | None:
    """The organization a new user joins: --org, or the only one of a single-organization
    installation. The operator joins none."""
    if role == OPERATOR:
        if slug:
            raise click.ClickException("the operator belongs to no organization: leave out --org")
        return None
    return chosen_organization(session, slug)


@user_group.command("add")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--full-name", default="", help="Full name, as Appendix 1 shows it.")
@click.option(
    "--org",
    "org_slug",
    default=None,
    help="The organization's slug (optional when the installation has only one).",
)
@click.argument("username")
def add_command(role: str, full_name: str, org_slug: str | None, username: str) -> None:
    """Add a staff user and print a one-time password."""
    ctx = load_context()
    try:
        with transaction(ctx.sessions) as session:
            org = organization_of(session, role, org_slug)
            new = create_user(
                session,
                username=username,
                full_name=full_name,
                role=role,
                org_id=org.id if org is not None else None,
                instance_secret=ctx.instance.secret_key,
                kdf=ctx.instance.kdf,
            )
            audit.append(
                session,
                "user.create",
                actor="cli",
                org_id=new.user.org_id,
                target=new.user.username,
                details={"role": role},
            )
            custody.announce(session, new.user, actor="cli", reset=False)
    except AdalError as exc:
        # The message alone, as always: the code is for the back office's translations.
        raise click.ClickException(exc.message) from exc
    where = f" in {org.slug}" if org is not None else ""
    click.echo(f"User {new.user.username} ({role}) created{where}.")
    if role == "head":
        click.echo(
            "This head receives reporters' identities once another head approves the key "
            "in the back office, or: adal head approve " + new.user.username
        )
    # Last line, alone: scripts read the password from it.
    click.echo(f"One-time password (must be changed at first login): {new.password}")
