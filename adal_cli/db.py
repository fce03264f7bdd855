"""`adal db upgrade`: apply pending migrations."""

from __future__ import annotations

import click

from adal_cli.cases import recompute_lists
from adal_cli.context import load_context
from store.migrate import current_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
def upgrade_command() -> None:
    """Apply every pending migration, then recompute the back office's list columns (they are
    derived data; a migration that adds or changes them leaves the filling to the rules in code).
    """
    ctx = load_context()
    upgrade(ctx.engine)
    click.echo(f"Database at revision {current_revision(ctx.engine)}")
    n = recompute_lists(everything=True)
    click.echo(f"Recomputed the list columns of {n} reports")
