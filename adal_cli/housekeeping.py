"""`adal housekeeping`: shred abandoned uploads and delete expired sessions (cases.housekeeping).

Meant for deploy/systemd/adal-housekeeping.timer (`--once`, hourly). Without `--once` it runs
a pass every `--every` seconds until stopped, for a host without systemd timers. As with
`adal purge`, the date is always today in Kazakhstan: no option pretends it is later.
"""

from __future__ import annotations

import time

import click

from adal_cli.context import Context, load_context
from cases.housekeeping import Summary, run_housekeeping
from rules.clock import local_date, utcnow


def _one_pass(ctx: Context) -> Summary:
    with ctx.sessions() as session, session.begin():
        return run_housekeeping(session, local_date(utcnow()))


@click.command("housekeeping")
@click.option("--once", is_flag=True, help="One pass, then exit (for a systemd timer).")
@click.option(
    "--every",
    type=click.IntRange(60, 86_400),
    default=3600,
    show_default=True,
    help="Seconds between passes when not --once.",
)
def housekeeping_command(once: bool, every: int) -> None:
    """Shred file uploads that never became part of a report (after a day's grace) and delete
    web sessions past their expiry date."""
    ctx = load_context()
    while True:
        summary = _one_pass(ctx)
        click.echo(
            f"Shredded {summary.orphan_files} abandoned upload(s), deleted "
            f"{summary.expired_sessions} expired session(s)."
        )
        if once:
            return
        time.sleep(every)
