"""Fixtures for the back office: the app on the demo instance and signed-in browsers per role.

`adal init --demo` runs once per session, for real, into a template; each test gets its own
copy of that instance folder and database (a file copy on SQLite, CREATE DATABASE ... TEMPLATE
on PostgreSQL). Same state as the shared `demo` fixture, without paying for Argon2 and the
migrations in every test.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from handler import create_app
from installation import instance as inst
from store import audit
from store.db import make_engine, session_factory
from tests.conftest import POSTGRES_URL
from tests.handler.helpers import Browser, compile_translations, sign_in
from tests.support import TEST_KDF, DemoInstance, run_cli


def _admin():  # type: ignore[no-untyped-def]
    return create_engine(make_url(POSTGRES_URL or ""), isolation_level="AUTOCOMMIT")


def _create_database(name: str, template: str | None = None) -> str:
    admin = _admin()
    with admin.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    admin.dispose()
    return make_url(POSTGRES_URL or "").set(database=name).render_as_string(hide_password=False)


def _drop_database(name: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """(instance folder, init output, template database name or "") made by the real CLI."""
    path = tmp_path_factory.mktemp("demo-template") / "instance"
    database = f"adal_tmpl_{secrets.token_hex(6)}" if POSTGRES_URL else ""
    url = _create_database(database) if POSTGRES_URL else f"sqlite:///{path / inst.DB_NAME}"
    patch = pytest.MonkeyPatch()
    patch.setenv("ADAL_INSTANCE", str(path))
    patch.setenv("ADAL_DATABASE_URL", url)
    try:
        code, output = run_cli("init", "--demo", *TEST_KDF)
        assert code == 0, output
    finally:
        patch.undo()
    yield path, output, database
    if database:
        _drop_database(database)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         demo_template: tuple[Path, str, str]) -> Iterator[DemoInstance]:
    source, output, template = demo_template
    path = tmp_path / "instance"
    shutil.copytree(source, path)  # keeps the 0700/0600 modes
    database = f"adal_test_{secrets.token_hex(6)}" if template else ""
    url = _create_database(database, template) if template else \
        f"sqlite:///{path / inst.DB_NAME}"
    monkeypatch.setenv("ADAL_INSTANCE", str(path))
    monkeypatch.setenv("ADAL_DATABASE_URL", url)
    instance = inst.load(path)
    engine = make_engine(instance.database_url)
    sessions = session_factory(engine)
    # Keyed like a back-office process (issue 12, item 5): entries the tests append verify.
    audit.install(sessions, path)
    yield DemoInstance(path, instance, engine, sessions, output)
    engine.dispose()
    if database:
        _drop_database(database)


@pytest.fixture(scope="session", autouse=True)
def _translations() -> None:
    compile_translations()


@pytest.fixture
def app(demo: DemoInstance) -> Iterator[Flask]:
    app = create_app({"TESTING": True})
    yield app
    app.extensions["adal.engine"].dispose()


@pytest.fixture
def browser(app: Flask) -> Callable[[], Browser]:
    return lambda: Browser(app)


@pytest.fixture
def as_role(app: Flask, demo: DemoInstance) -> Callable[[str], Browser]:
    """A browser signed in as the demo user of a role ("handler", "head", "admin", "auditor")."""

    def make(role: str) -> Browser:
        creds = demo.credentials()[role]
        return sign_in(Browser(app), demo, creds["username"], creds["password"],
                       creds["totp secret"])

    return make
