"""The organization each back-office transaction runs for, told to PostgreSQL.

Row-level security (installation/backoffice_role.py) shows the back office's database role only
the rows of the organization its transaction names in `adal.org_id`, or everything in the
`platform` scope. This module names it at the start of every transaction of every session the
request opens (the request's own, a download's streaming session, the web-session store):

* by default (a request that has named nothing yet, a session used outside any request):
  `none`, which sees nothing at all: a path that forgot to name its scope fails closed;
* before sign-in (the login form's attempt, the gate loading the account from the session):
  `platform`, named by `widen_to_platform()`, to read the account being tried, its
  organization's lockout setting, and audit the attempt;
* once the gate has loaded a staff member: their organization, and nothing else;
* the operator (no organization, no key): `platform`; it reads no report;
* `widen_to_platform()`: a view that must read across organizations on purpose (a superior
  body's counts of the organizations below it) says so by name.

On SQLite (one machine, no roles) nothing is sent: the application's filters (cases.scope) are
the only wall there.
"""

from __future__ import annotations

from flask import Flask, g, has_app_context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from installation.backoffice_role import ORG_SETTING, PLATFORM, SCOPE_SETTING
from store.models import User

_KEY = "adal_org_scope"  # in flask.g: (scope, organization id or None)
ORG = "org"
NONE = "none"  # neither the platform nor an organization: every policy hides every row
_SET = text(
    f"SELECT set_config('{SCOPE_SETTING}', :scope, true), set_config('{ORG_SETTING}', :org, true)"
)


def _current() -> tuple[str, str]:
    scope, org_id = getattr(g, _KEY, (NONE, None)) if has_app_context() else (NONE, None)
    return scope, "" if org_id is None else str(org_id)


def _send(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    scope, org = _current()
    connection.execute(_SET, {"scope": scope, "org": org})


def _resend(session: Session) -> None:
    """The transaction already open (the gate read the account in it) switches now."""
    if session.in_transaction():
        _send(session.connection())


def for_user(session: Session, user: User) -> None:
    """The signed-in user's organization from now on (the operator: the platform scope)."""
    setattr(g, _KEY, (ORG, user.org_id) if user.org_id is not None else (PLATFORM, None))
    _resend(session)


def widen_to_platform(session: Session) -> None:
    """The rest of this request reads across organizations, on purpose (see the docstring)."""
    setattr(g, _KEY, (PLATFORM, None))
    _resend(session)


def close(session: Session) -> None:
    """Nothing visible for the rest of this request (fail closed)."""
    setattr(g, _KEY, (NONE, None))
    _resend(session)


def install(app: Flask, factory: sessionmaker[Session]) -> None:
    """Every transaction of the factory's sessions starts by naming its scope."""

    def _after_begin(
        _session: Session, _transaction: SessionTransaction, connection: Connection
    ) -> None:
        _send(connection)

    def _start() -> None:
        setattr(g, _KEY, (NONE, None))

    event.listen(factory, "after_begin", _after_begin)
    app.before_request(_start)
