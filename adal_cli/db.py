"""`adal db upgrade`: apply pending migrations, then bring the back office's row-level policies
up to the code's."""

from __future__ import annotations

import click

from adal_cli.cases import recompute_lists
from adal_cli.context import load_context
from installation import backoffice_role, roles
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
    # New code may need new policies (the superior body's subtree scope did), and a migration
    # may add or rebuild a table without them; the back office's role would otherwise run
    # under the old ones until someone re-ran grant-backoffice.
    try:
        reports = backoffice_role.regrant_existing(ctx.engine)
    except roles.RoleError as exc:
        raise click.ClickException(f"grant-backoffice: {exc}") from exc
    for report in reports:
        click.echo(
            f"Role {report.role}: {report.policies} row-level policies by organization re-installed"
        )
