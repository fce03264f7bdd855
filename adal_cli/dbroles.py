"""`adal db grant-portal ROLE`: the portal's least-privilege PostgreSQL role
(installation.roles)."""

from __future__ import annotations

import click

from adal_cli.context import load_context
from installation import roles


@click.command("grant-portal")
@click.argument("role")
def grant_portal_command(role: str) -> None:
    """Give ROLE exactly what the public portal needs, and nothing on staff tables.

    Run as the tables' owner (the role `adal db upgrade` uses), after creating ROLE
    (CREATE ROLE adal_portal LOGIN PASSWORD '...'), and again after every upgrade. Then start
    the portal with ADAL_DATABASE_URL naming ROLE.
    """
    ctx = load_context()
    try:
        report = roles.grant_portal(ctx.engine, role)
    except roles.RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Role {report.role}: privileges on {report.tables} tables, "
        f"{report.sequences} sequences, {report.policies} row-level policies; "
        f"nothing on {', '.join(roles.DENIED_TABLES)}."
    )
    for warning in report.warnings:
        click.echo(f"WARNING: {warning}", err=True)
