"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when configured) and an
initialised instance made through the real `adal init`.

Set ADAL_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@/postgres?host=/run/postgresql)
to run the same suite against a real PostgreSQL server: each test gets its own database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store import instance as inst
from store.db import make_engine, session_factory
from tests.support import TEST_KDF, DemoInstance, run_cli

POSTGRES_URL = os.environ.get("ADAL_TEST_POSTGRES_URL")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'instance' / inst.DB_NAME}"
        return
    admin_url = make_url(POSTGRES_URL)
    name = f"adal_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
    yield DemoInstance(env, instance, engine, session_factory(engine), output)
    engine.dispose()
