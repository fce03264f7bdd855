"""`adal db grant-portal ROLE` and `adal db grant-backoffice ROLE`: the portal's least-privilege
PostgreSQL role (installation.roles) and the back office's role under row-level security by
organization (installation.backoffice_role)."""

from __future__ import annotations

import click

from adal_cli.context import load_context
from installation import backoffice_role, roles


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


@click.command("grant-backoffice")
@click.argument("role")
def grant_backoffice_command(role: str) -> None:
    """Give ROLE the back office's privileges under row-level security by organization.

    The back office then connects as ROLE (ADAL_DATABASE_URL naming it in handler.env), and
    every row of an organization is visible only to a transaction running for that
    organization (installation/backoffice_role.py). Run as the tables' owner, after creating
    ROLE (CREATE ROLE adal_backoffice LOGIN PASSWORD '...'), and again after every upgrade.
    """
    ctx = load_context()
    try:
        report = backoffice_role.grant_backoffice(ctx.engine, role)
    except roles.RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Role {report.role}: privileges on {report.tables} tables, "
        f"{report.policies} row-level policies by organization."
    )
