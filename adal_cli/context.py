"""What every command needs: the instance, an engine and a session factory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from store import instance as inst
from store.audit import ANCHOR_NAME, install_anchor
from store.db import make_engine, session_factory


@dataclass
class Context:
    instance: inst.Instance

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.instance.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        factory = session_factory(self.engine)
        install_anchor(factory, self.instance.path / ANCHOR_NAME)
        return factory


# Commands that run on the portal host, whose instance folder holds adal.json and portal.key
# only (README, Deployment). `adal portal` checks its instance through load_context() without
# saying which view it needs, so its name decides.
PORTAL_COMMANDS = frozenset({"portal"})


def _running_portal_command() -> bool:
    current = click.get_current_context(silent=True)
    return current is not None and current.command.name in PORTAL_COMMANDS


def load_context(portal: bool | None = None) -> Context:
    """The back office's view of the instance (secret.key required), or the portal's
    (`portal=True`; by default for the commands in PORTAL_COMMANDS), which never opens
    secret.key."""
    if portal is None:
        portal = _running_portal_command()
    try:
        return Context(inst.load_portal() if portal else inst.load())
    except inst.InstanceError as exc:
        raise click.ClickException(str(exc)) from exc
