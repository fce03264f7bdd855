"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when configured) and an
initialised instance made through the real `adal init`.

Set ADAL_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@/postgres?host=/run/postgresql)
to run the same suite against a real PostgreSQL server: each test gets its own database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from installation import instance as inst
from store import audit
from store.db import make_engine, session_factory
from tests.servers import scratch_database
from tests.support import TEST_KDF, DemoInstance, run_cli

POSTGRES_URL = os.environ.get("ADAL_TEST_POSTGRES_URL")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite in the test's instance folder, or a PostgreSQL database of its own."""
    with scratch_database(tmp_path / "instance", prefix="adal_test") as url:
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
    instance = inst.load(env)
    engine = make_engine(instance.database_url)
    sessions = session_factory(engine)
    # Keyed like a back-office process (issue 12, item 5): entries the tests append verify.
    audit.install(sessions, env)
    yield DemoInstance(env, instance, engine, sessions, output)
    engine.dispose()
