"""`adal audit verify`: check the audit log's hash chain and its anchor outside the database."""

from __future__ import annotations

import click

from adal_cli.context import load_context
from store import audit


@click.group("audit")
def audit_group() -> None:
    """The append-only audit log."""


@audit_group.command("verify")
def verify_command() -> None:
    """Check every entry's hash and link, its MAC under audit.key, and that the newest anchored
    entry is still there.

    Exits 1 and names the first broken entry when the log was edited, cut or reordered, or
    when an entry was written by someone without the back office's audit key.
    """
    ctx = load_context()
    anchor = ctx.instance.path / audit.ANCHOR_NAME
    with ctx.sessions() as session:
        result = audit.verify(session, anchor=anchor, key=audit.key_of(session))
    if result.ok:
        click.echo(f"OK: {result.checked} entries; the chain is intact and reaches the anchor.")
        if result.legacy_id:
            click.echo(
                f"Entries 1 to {result.legacy_id} predate the keyed chain: the unkeyed "
                f"chain and {audit.KEY_NAME} vouch for them, every later one carries "
                "the back office's MAC."
            )
        return
    if result.broken_id is None:
        click.echo(f"FAILED: {result.reason}.", err=True)
    else:
        click.echo(
            f"FAILED at entry {result.broken_id}: {result.reason}. "
            f"{result.checked} earlier entries are intact.",
            err=True,
        )
    raise click.exceptions.Exit(1)
