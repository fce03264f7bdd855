"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when configured) and an
initialised demo instance.

`adal init --demo` runs once per run (per xdist worker), for real, into a template; each test
gets its own copy of that instance folder and database (tests/support/instance.py). Tests of
`adal init` itself use `fresh_demo`, which runs the command for that test.

Set ADAL_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@/postgres?host=/run/postgresql)
to run the same suite against a real PostgreSQL server: each test gets its own database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import loopback
from tests.support.instance import (
    TEST_KDF,
    DemoInstance,
    Template,
    copy_template,
    drop_template,
    make_template,
    open_demo,
    run_cli,
)
from tests.support.pgroles import backoffice_role, portal_role  # noqa: F401 - fixtures


@pytest.fixture(scope="session", autouse=True)
def _translations() -> None:
    """.mo files are build output (not committed); both apps need them up to date."""
    loopback.compile_translations()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite in the test's instance folder, or a PostgreSQL database of its own."""
    with loopback.scratch_database(tmp_path / "instance", prefix="adal_test") as url:
        yield url


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ADAL_INSTANCE and ADAL_DATABASE_URL point at this test's own instance and database."""
    path = tmp_path / "instance"
    monkeypatch.setenv("ADAL_INSTANCE", str(path))
    monkeypatch.setenv("ADAL_DATABASE_URL", database_url)
    return path


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    template = make_template(tmp_path_factory.mktemp("demo-template"))
    yield template
    drop_template(template)


@pytest.fixture
def demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_template: Template
) -> Iterator[DemoInstance]:
    """This test's own copy of the demo instance; the environment points the CLI and the apps
    at it."""
    path = tmp_path / "instance"
    url, database = copy_template(demo_template, path)
    monkeypatch.setenv("ADAL_INSTANCE", str(path))
    monkeypatch.setenv("ADAL_DATABASE_URL", url)
    handle = open_demo(path, url, demo_template.init_output)
    yield handle
    handle.engine.dispose()
    if database:
        loopback.drop_database(database)


@pytest.fixture
def fresh_demo(env: Path) -> Iterator[DemoInstance]:
    """A demo instance made by `adal init --demo` for this test alone: for the tests of what
    the command itself creates and refuses."""
    code, output = run_cli("init", "--demo", *TEST_KDF)
    assert code == 0, output
    handle = open_demo(env, os.environ["ADAL_DATABASE_URL"], output)
    yield handle
    handle.engine.dispose()
