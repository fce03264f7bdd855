"""Entry point of the `adal` console script."""

from __future__ import annotations

import click

from adal_cli.audit import audit_group
from adal_cli.backup import backup_command, restore_command
from adal_cli.cases import cases_group
from adal_cli.db import db_group
from adal_cli.dbroles import grant_backoffice_command, grant_portal_command
from adal_cli.heads import head_group
from adal_cli.housekeeping import housekeeping_command
from adal_cli.init import init_command
from adal_cli.notify import notify_command
from adal_cli.purge import purge_command
from adal_cli.recover import recover_command
from adal_cli.serve import handler_command, portal_command, run_demo_command
from adal_cli.users import user_group


@click.group()
def cli() -> None:
    """Adal: anonymous corruption reporting."""


cli.add_command(init_command)
cli.add_command(user_group)
cli.add_command(head_group)
cli.add_command(db_group)
cli.add_command(cases_group)
cli.add_command(portal_command)
cli.add_command(handler_command)
cli.add_command(run_demo_command)
cli.add_command(audit_group)
cli.add_command(recover_command)
db_group.add_command(grant_portal_command)
db_group.add_command(grant_backoffice_command)
cli.add_command(backup_command)
cli.add_command(restore_command)
cli.add_command(purge_command)
cli.add_command(housekeeping_command)
cli.add_command(notify_command)


def main() -> None:
    cli()
