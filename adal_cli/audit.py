"""`adal audit verify [--org SLUG]`: check the audit chains and their anchor outside the database.

Each organization's entries form a chain of their own, and the platform (the operator's work)
one more (store/audit.py). Without `--org` every chain is checked; with it, that organization's
alone, which is what its auditor's page checks too.
"""

from __future__ import annotations

import click
from sqlalchemy import select

from adal_cli.context import load_context
from cases import organizations
from rules.errors import AdalError
from store import audit
from store.models import Organization


def _chain_name(slugs: dict[int, str], org_id: int | None) -> str:
    if org_id is None:
        return "the platform"
    return f"organization {slugs.get(org_id, f'#{org_id}')}"


def _failed(result: audit.Verification, name: str) -> None:
    if result.broken_id is None:
        click.echo(f"FAILED ({name}): {result.reason}.", err=True)
    else:
        click.echo(
            f"FAILED at entry {result.broken_id} ({name}): {result.reason}. "
            f"{result.checked} earlier entries of this chain are intact.",
            err=True,
        )


@click.group("audit")
def audit_group() -> None:
    """The append-only audit log."""


@audit_group.command("verify")
@click.option("--org", "slug", default=None, help="Check only this organization's chain.")
def verify_command(slug: str | None) -> None:
    """Check every entry's hash and link, its MAC under audit.key, and that the newest anchored
    entry of each chain is still there.

    Exits 1 and names the first broken entry when the log was edited, cut or reordered, or
    when an entry was written by someone without the back office's audit key.
    """
    ctx = load_context()
    anchor = ctx.instance.path / audit.ANCHOR_NAME
    with ctx.sessions() as session:
        slugs = {i: s for i, s in session.execute(select(Organization.id, Organization.slug))}
        key = audit.key_of(session)
        if slug is not None:
            try:
                org = organizations.by_slug(session, slug)
            except AdalError as exc:
                raise click.ClickException(exc.message) from exc
            results = [audit.verify_chain(session, org.id, anchor=anchor, key=key)]
        else:
            results = audit.verify_all(session, anchor=anchor, key=key)
    failures = [r for r in results if not r.ok]
    for result in failures:
        _failed(result, _chain_name(slugs, result.org_id))
    if failures:
        raise click.exceptions.Exit(1)
    total = sum(r.checked for r in results)
    if slug is not None:
        click.echo(
            f"OK: {total} entries of organization {slug}; its chain is intact and reaches "
            "the anchor. Only this organization's chain was checked."
        )
    else:
        click.echo(
            f"OK: {total} entries in {len(results)} chains; every chain is intact and "
            "reaches the anchor."
        )
        for result in results:
            click.echo(f"  {_chain_name(slugs, result.org_id)}: {result.checked} entries")
    legacy = next((r.legacy_id for r in results if r.org_id == audit.LEGACY_ORG), None)
    if legacy:
        click.echo(
            f"Entries 1 to {legacy} predate the keyed chain: the unkeyed chain and "
            f"{audit.KEY_NAME} vouch for them, every later one carries the back office's MAC."
        )
