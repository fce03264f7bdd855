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
* `subtree()`: a superior body's counts of the organizations below it, for that one read
  only: the list rows of exactly those organizations, read-only, nothing of any other table;
  the user's own scope is back when the block ends, for everything the request renders after.

On SQLite (one machine, no roles) nothing is sent: the application's filters (cases.scope) are
the only wall there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress

from flask import Flask, g, has_app_context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from installation.backoffice_role import (
    ORG_IDS_SETTING,
    ORG_SETTING,
    PLATFORM,
    SCOPE_SETTING,
    SUBTREE,
)
from store.models import User

# In flask.g: (scope, organization id or None, the subtree's organization ids).
_KEY = "adal_org_scope"
ORG = "org"
NONE = "none"  # neither the platform nor an organization: every policy hides every row
_Scope = tuple[str, int | None, tuple[int, ...]]
_CLOSED: _Scope = (NONE, None, ())
_SET = text(
    f"SELECT set_config('{SCOPE_SETTING}', :scope, true), "
    f"set_config('{ORG_SETTING}', :org, true), set_config('{ORG_IDS_SETTING}', :ids, true)"
)


def _current() -> _Scope:
    scope: _Scope = getattr(g, _KEY, _CLOSED) if has_app_context() else _CLOSED
    return scope


def _send(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    scope, org_id, ids = _current()
    connection.execute(
        _SET,
        {
            "scope": scope,
            "org": "" if org_id is None else str(org_id),
            "ids": ",".join(str(i) for i in ids),
        },
    )


def _resend(session: Session) -> None:
    """The transaction already open (the gate read the account in it) switches now."""
    if session.in_transaction():
        _send(session.connection())


def for_user(session: Session, user: User) -> None:
    """The signed-in user's organization from now on (the operator: the platform scope)."""
    setattr(g, _KEY, (ORG, user.org_id, ()) if user.org_id is not None else (PLATFORM, None, ()))
    _resend(session)


def widen_to_platform(session: Session) -> None:
    """The rest of this request reads across organizations, on purpose (see the docstring)."""
    setattr(g, _KEY, (PLATFORM, None, ()))
    _resend(session)


@contextmanager
def subtree(session: Session, org_ids: Collection[int]) -> Iterator[None]:
    """Within the block: only these organizations' list rows, read-only, and nothing else
    (installation/backoffice_role.py, SUBTREE_READS); after it, the scope that was named before.

    The ids come from the caller, computed in the user's own scope: no id, no row."""
    # Anything pending is the user's own work: written in their scope, not refused in this one.
    session.flush()
    before = _current()
    setattr(g, _KEY, (SUBTREE, None, tuple(sorted(set(org_ids)))))
    try:
        _resend(session)
        yield
    except BaseException:
        setattr(g, _KEY, before)
        # A failed statement aborts the transaction: nothing more runs in it, in any scope,
        # and the next one starts in `before` (after_begin). The first error is the one to tell.
        with suppress(SQLAlchemyError):
            _resend(session)
        raise
    setattr(g, _KEY, before)
    _resend(session)


def close(session: Session) -> None:
    """Nothing visible for the rest of this request (fail closed)."""
    setattr(g, _KEY, _CLOSED)
    _resend(session)


def install(app: Flask, factory: sessionmaker[Session]) -> None:
    """Every transaction of the factory's sessions starts by naming its scope."""

    def _after_begin(
        _session: Session, _transaction: SessionTransaction, connection: Connection
    ) -> None:
        _send(connection)

    def _start() -> None:
        setattr(g, _KEY, _CLOSED)

    event.listen(factory, "after_begin", _after_begin)
    app.before_request(_start)
