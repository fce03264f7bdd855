"""`adal user add`: staff accounts from the command line (the first head, in production)."""

from __future__ import annotations

import click

from adal_cli.context import load_context
from cases import custody
from cases.staff import create_user
from rules.errors import AdalError
from store import audit
from store.db import transaction
from store.models import ROLES


@click.group("user")
def user_group() -> None:
    """Manage staff users."""


@user_group.command("add")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--full-name", default="", help="Full name, as Appendix 1 shows it.")
@click.argument("username")
def add_command(role: str, full_name: str, username: str) -> None:
    """Add a staff user and print a one-time password."""
    ctx = load_context()
    try:
        with transaction(ctx.sessions) as session:
            new = create_user(
                session,
                username=username,
                full_name=full_name,
                role=role,
                instance_secret=ctx.instance.secret_key,
                kdf=ctx.instance.kdf,
            )
            audit.append(
                session,
                "user.create",
                actor="cli",
                target=new.user.username,
                details={"role": role},
            )
            custody.announce(session, new.user, actor="cli", reset=False)
    except AdalError as exc:
        # The message alone, as always: the code is for the back office's translations.
        raise click.ClickException(exc.message) from exc
    click.echo(f"User {new.user.username} ({role}) created.")
    if role == "head":
        click.echo(
            "This head receives reporters' identities once another head approves the key "
            "in the back office, or: adal head approve " + new.user.username
        )
    # Last line, alone: scripts read the password from it.
    click.echo(f"One-time password (must be changed at first login): {new.password}")
