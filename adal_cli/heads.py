"""`adal head list|approve`: head keys and their approval with the recovery key (p14).

In the back office a head whose key is approved approves a new head's key. When no such head is
left (the only head left the body, or every head's password was reset), the organization
approves with its offline recovery key here; the new head then also receives every identity
block and protection record, since the recovery key holds them all (cases/custody.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from sqlalchemy import select

from adal_cli.context import load_context
from adal_cli.org_choice import chosen_organization
from adal_cli.recovery_key import ORG_HELP, read_recovery_key
from cases import custody, scope, sharing
from rules.errors import AdalError
from store.models import User

STATES = {
    "pending": "awaiting approval",
    "approved": "approved",
    "carried_over": "carried over from before approvals (review)",
}


@click.group("head")
def head_group() -> None:
    """Head keys: who receives reporters' identities."""


@head_group.command("list")
@click.option("--org", "org_slug", default=None, help="The organization (when there are several).")
def list_command(org_slug: str | None) -> None:
    """List the organization's active head keys and whether they are approved."""
    ctx = load_context()
    with ctx.sessions() as session:
        org = chosen_organization(session, org_slug)
        for key in custody.head_keys(session, org.id):
            name = key.user.username if key.user is not None else "-"
            by = f" by {key.approver}" if key.approver else ""
            click.echo(f"{name}\t{key.fingerprint}\t{STATES[key.state]}{by}")


@head_group.command("approve")
@click.argument("username")
@click.option("--org", "slug", default=None, help=ORG_HELP)
def approve_command(username: str, slug: str | None) -> None:
    """Approve USERNAME's pending head key with the recovery key.

    Compare the fingerprint `adal head list` shows with the one on the head's own Head keys page,
    read out by that person, before typing the recovery key.
    """
    ctx = load_context()
    try:
        with ctx.sessions() as session, session.begin():
            org = chosen_organization(session, slug)
            # Only a head of that organization, with that organization's recovery key (p14).
            user = session.scalar(
                select(User).where(User.username == username, scope.in_org(User.org_id, org.id))
            )
            key = sharing.active_key(session, user) if user is not None else None
            if user is None or not user.active or user.role != "head" or key is None:
                raise click.ClickException(
                    f"{username!r} is not an active head of organization {org.slug}"
                )
            recovery = read_recovery_key(session, org)
            approval = custody.approve(session, key, recovery, actor="cli", now=datetime.now(UTC))
    except AdalError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"The key of {username} is approved; {approval.handed_over} identity blocks and "
        "protection records were handed over to it."
    )
