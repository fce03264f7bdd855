"""`adal purge`: crypto-shred closed cases whose retention period has run out.

Meant for a daily timer. The date is always today in Kazakhstan: there is deliberately no
option to pretend it is later, because a typo there would destroy reports early.
"""

from __future__ import annotations

import click
from sqlalchemy import text

from adal_cli.context import Context, load_context
from cases.purge import TOUCHED_TABLES, purge_expired
from cases.retention import retention_by_org
from rules.clock import local_date, utcnow

ACTOR = "adal purge"


def _reclaim(ctx: Context) -> None:
    """Push deleted pages out of the places a copy of the disk would still find them."""
    engine = ctx.engine
    if engine.dialect.name == "sqlite":
        # secure_delete zeroes freed pages in the database file; the WAL still holds the old
        # page images until a checkpoint copies them back and truncates it.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif engine.dialect.name == "postgresql":
        # Frees the dead rows for reuse (it does not overwrite them on disk).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in TOUCHED_TABLES:
                conn.execute(text(f'VACUUM "{table}"'))


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be shredded; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Shred closed cases past their purge date (retention after closing, and never before the
    reporter's 3-year protection ends). One audit entry per case."""
    ctx = load_context()
    today = local_date(utcnow())
    with ctx.sessions() as session:
        if not retention_by_org(session):
            click.echo(
                "No retention period is set in any organization: nothing is ever purged. "
                "An admin sets it in the back office settings."
            )
            return
        try:
            result = purge_expired(session, today, actor=ACTOR, dry_run=dry_run)
        except BaseException:
            session.rollback()
            raise
        if dry_run:
            session.rollback()
        else:
            session.commit()
    verb = "Would shred" if dry_run else "Shredded"
    click.echo(
        f"{verb} {len(result.purged)} case(s)"
        + ("" if dry_run else f", {result.envelopes} sealed envelope(s)")
        + "."
    )
    for submission_id in result.purged:
        click.echo(f"  {submission_id}")
    for held in result.held:
        click.echo(f"Kept {held.submission_id}: {held.reason}.")
    if result.purged and not dry_run:
        _reclaim(ctx)
