"""`adal cases recompute`: refill the back office's list columns (cases.lists)."""

from __future__ import annotations

import click

from adal_cli.context import load_context
from cases.lists import recompute


@click.group("cases")
def cases_group() -> None:
    """Casework maintenance."""


def recompute_lists(everything: bool = False) -> int:
    ctx = load_context()
    with ctx.sessions() as session, session.begin():
        return recompute(session, everything=everything, release=True)


@cases_group.command("recompute")
@click.option("--all", "everything", is_flag=True, help="Closed cases too, not only the open ones.")
def recompute_command(everything: bool) -> None:
    """Recompute the stored deadline and list columns of every open case and unopened report
    (after a calendar change is entered outside the back office, or to repair them)."""
    n = recompute_lists(everything)
    click.echo(f"Recomputed the list columns of {n} reports")
