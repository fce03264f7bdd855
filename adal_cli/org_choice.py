"""Which organization a command acts on: `--org SLUG`, or the only one there is.

A single-organization installation (a tree of one) needs no option; with several, a command
that concerns one organization refuses to guess.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from cases import organizations
from rules.errors import AdalError
from store.models import Organization


def chosen_organization(session: Session, slug: str | None) -> Organization:
    if slug:
        try:
            return organizations.by_slug(session, slug)
        except AdalError as exc:
            raise click.ClickException(exc.message) from None
    only = organizations.only_organization(session)
    if only is None:
        raise click.ClickException(
            "this installation has several organizations: say which with --org SLUG "
            "('adal org list' lists them)"
        )
    return only
