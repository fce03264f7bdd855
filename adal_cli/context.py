"""What every command needs: the instance, an engine and a session factory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from installation import instance as inst
from store import audit
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
        audit.install(factory, self.instance.path)
        return factory


def load_context(portal: bool = False) -> Context:
    """The back office's view of the instance (secret.key required), or with `portal` the
    portal host's, whose folder holds adal.json and portal.key only and which never opens
    secret.key (README, Deployment)."""
    try:
        return Context(inst.load_portal() if portal else inst.load())
    except inst.InstanceError as exc:
        raise click.ClickException(str(exc)) from exc
