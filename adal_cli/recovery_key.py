"""Reading an organization's recovery key at the terminal, for `adal recover` and `adal head`.

Every organization has its own recovery key (issue 13): the command names the organization
(`--org SLUG`, optional on an installation of one), and the key typed is checked against that
organization's recovery key, never stored. Hidden input at a terminal, one line of standard
input when piped.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import scope
from crypto import keys as ckeys
from crypto.errors import FormatError
from crypto.keys import PrivateKey
from store.models import Organization, RecipientKey

ORG_HELP = "The organization whose recovery key you type (optional when there is only one)."


def _read_key() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Recovery key", hide_input=True))
    return sys.stdin.readline()


def read_recovery_key(session: Session, org: Organization) -> PrivateKey:
    """The recovery key typed by the operator, or a ClickException saying why it is refused."""
    try:
        recovery = ckeys.parse_recovery_key(_read_key().strip())
    except FormatError as exc:
        raise click.ClickException(f"not a valid recovery key: {exc}") from None
    row = session.scalar(
        select(RecipientKey.id).where(
            RecipientKey.key_id == ckeys.key_id(recovery.public_key),
            RecipientKey.purpose == "recovery",
            scope.in_org(RecipientKey.org_id, org.id),
        )
    )
    if row is None:
        raise click.ClickException(f"this is not the recovery key of organization {org.slug}")
    return recovery
