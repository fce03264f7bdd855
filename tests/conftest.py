"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when configured) and an
initialised demo instance made through the real `adal init`.

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
    open_demo,
    run_cli,
)


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


@pytest.fixture
def demo(env: Path) -> Iterator[DemoInstance]:
    code, output = run_cli("init", "--demo", *TEST_KDF)
    assert code == 0, output
    handle = open_demo(env, os.environ["ADAL_DATABASE_URL"], output)
    yield handle
    handle.engine.dispose()
