"""PostgreSQL login roles for the tests of the restricted roles (the back office's row-level
security role, `adal db grant-portal`'s portal role): made fresh on the test server, dropped
after the test.

The fixtures are registered in tests/conftest.py. Request one before `demo` (or any fixture
that makes the test database), so that it is set up first and torn down last: a role cannot be
dropped while a database still holds what it was granted.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.needs import POSTGRES_URL


@contextmanager
def login_role(prefix: str) -> Iterator[str]:
    """A fresh login role named prefix_<random>, with no password (the test server trusts
    local connections); on exit whatever it still owns or was granted here is dropped, then
    the role."""
    assert POSTGRES_URL, "ADAL_TEST_POSTGRES_URL is unset"
    role = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        yield role
        with admin.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
    finally:
        admin.dispose()


def role_url(database_url: str, role: str) -> str:
    """The database URL with `role` as its user (and no password), for an engine or for
    ADAL_DATABASE_URL."""
    url = make_url(database_url).set(username=role, password=None)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def backoffice_role() -> Iterator[str]:
    """A login role for installation.backoffice_role.grant_backoffice."""
    with login_role("adal_bo") as role:
        yield role


@pytest.fixture
def portal_role() -> Iterator[str]:
    """A login role for `adal db grant-portal`."""
    with login_role("adal_portal") as role:
        yield role
