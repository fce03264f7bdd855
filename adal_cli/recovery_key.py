"""Reading the organization's recovery key at the terminal, for `adal recover` and `adal head`.

Hidden input at a terminal, one line of standard input when piped; it is checked against this
installation's recovery key id and never stored.
"""

from __future__ import annotations

import sys

import click

from crypto import keys as ckeys
from crypto.errors import FormatError
from crypto.keys import PrivateKey
from installation.instance import Instance


def _read_key() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Recovery key", hide_input=True))
    return sys.stdin.readline()


def read_recovery_key(instance: Instance) -> PrivateKey:
    """The recovery key typed by the operator, or a ClickException saying why it is refused."""
    try:
        recovery = ckeys.parse_recovery_key(_read_key().strip())
    except FormatError as exc:
        raise click.ClickException(f"not a valid recovery key: {exc}") from None
    if ckeys.key_id(recovery.public_key) != instance.recovery_key_id:
        raise click.ClickException("this is not the recovery key of this installation")
    return recovery
